// GuiContext (see gui_context.h).
#include "app/gui/core/gui_context.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "app/gui/core/theme.h"

namespace ssa::gui {
namespace {

std::string g_glfw_error;
void on_glfw_error(int, const char* description) {
  g_glfw_error = description;
}

}  // namespace

bool display_available() {
  const char* x = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (wayland && *wayland);
}

GuiContext::GuiContext(const GuiContextOptions& options) : interactive_(options.visible) {
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) throw std::runtime_error("cannot open a window: " + g_glfw_error);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_VISIBLE, options.visible ? GLFW_TRUE : GLFW_FALSE);
  window_ =
      glfwCreateWindow(options.width, options.height, options.title.c_str(), nullptr, nullptr);
  if (!window_) {
    glfwTerminate();
    throw std::runtime_error("cannot create an OpenGL 3.3 window: " + g_glfw_error);
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(options.visible ? 1 : 0);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is ours, not remembered per machine
  // No keyboard navigation: the arrow keys and space belong to the transport.
  theme::apply();
  if (interactive_) {
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
  } else {
    // No platform backend offscreen: keys map to themselves and are never down.
    for (int key = 0; key < ImGuiKey_COUNT; ++key) io.KeyMap[key] = key;
  }
  ImGui_ImplOpenGL3_Init("#version 330 core");
}

GuiContext::~GuiContext() {
  ImGui_ImplOpenGL3_Shutdown();
  if (interactive_) ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  glfwTerminate();
}

void GuiContext::begin_frame(int width, int height) {
  ImGui_ImplOpenGL3_NewFrame();
  if (interactive_) {
    ImGui_ImplGlfw_NewFrame();
  } else {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    io.DeltaTime = 1.0f / 60.0f;
  }
  ImGui::NewFrame();
}

void GuiContext::render_frame(int framebuffer_width, int framebuffer_height) {
  ImGui::Render();
  draw_frame(framebuffer_width, framebuffer_height);
}

void GuiContext::draw_frame(int framebuffer_width, int framebuffer_height) {
  glViewport(0, 0, framebuffer_width, framebuffer_height);
  glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

}  // namespace ssa::gui
