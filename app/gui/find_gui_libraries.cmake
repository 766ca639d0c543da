# Finds what the GUI needs, without failing: sets SSA_GUI_LIBRARIES_FOUND and,
# when something is missing, SSA_GUI_MISSING (a list of names).
# Dear ImGui 1.86 comes from Debian (libimgui-dev): the core from libimgui.a, the
# GLFW and OpenGL 3 backends compiled from the package's example sources.
find_package(glfw3 QUIET)
find_package(OpenGL QUIET)
find_path(IMGUI_INCLUDE_DIR imgui.h PATH_SUFFIXES imgui)
find_library(IMGUI_LIBRARY NAMES imgui)
find_path(STB_INCLUDE_DIR stb_image_write.h PATH_SUFFIXES stb)
# libstb (Debian's libstb-dev) implements stb_truetype/rect_pack for libimgui.a and stb_image_write.
find_library(STB_LIBRARY NAMES stb)
set(IMGUI_BACKENDS_DIR /usr/share/doc/libimgui-dev/examples/backends
    CACHE PATH "Dear ImGui backend sources (imgui_impl_glfw.cpp, imgui_impl_opengl3.cpp)")

set(SSA_GUI_MISSING "")
if(NOT glfw3_FOUND)
  list(APPEND SSA_GUI_MISSING GLFW)
endif()
if(NOT OpenGL_FOUND)
  list(APPEND SSA_GUI_MISSING OpenGL)
endif()
if(NOT IMGUI_INCLUDE_DIR OR NOT IMGUI_LIBRARY)
  list(APPEND SSA_GUI_MISSING "Dear ImGui")
endif()
if(NOT STB_INCLUDE_DIR OR NOT STB_LIBRARY)
  list(APPEND SSA_GUI_MISSING stb)
endif()
foreach(backend imgui_impl_glfw.cpp imgui_impl_opengl3.cpp)
  if(NOT EXISTS ${IMGUI_BACKENDS_DIR}/${backend})
    list(APPEND SSA_GUI_MISSING ${IMGUI_BACKENDS_DIR}/${backend})
  endif()
endforeach()
if(SSA_GUI_MISSING)
  set(SSA_GUI_LIBRARIES_FOUND OFF)
else()
  set(SSA_GUI_LIBRARIES_FOUND ON)
endif()
