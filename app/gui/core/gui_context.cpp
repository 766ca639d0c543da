// GuiContext (see gui_context.h).
#include "app/gui/core/gui_context.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "app/gui/core/key_queue.h"
#include "app/gui/core/theme.h"

namespace ssa::gui {
namespace {

std::string g_glfw_error;
void on_glfw_error(int, const char* description) {
  g_glfw_error = description;
}

// Counts the press (or repeat), then hands the event on to ImGui's backend.
void on_key(GLFWwindow* window, int key, int scancode, int action, int mods) {
  if (action == GLFW_PRESS || action == GLFW_REPEAT) {
    const bool ctrl = (mods & GLFW_MOD_CONTROL) != 0;
    KeyQueue& q = key_queue();
    switch (key) {
      case GLFW_KEY_LEFT:
        q.press(Key::kLeft);
        break;
      case GLFW_KEY_RIGHT:
        q.press(Key::kRight);
        break;
      case GLFW_KEY_HOME:
        q.press(Key::kHome);
        break;
      case GLFW_KEY_END:
        q.press(Key::kEnd);
        break;
      case GLFW_KEY_PAGE_UP:
        q.press(Key::kPageUp);
        break;
      case GLFW_KEY_PAGE_DOWN:
        q.press(Key::kPageDown);
        break;
      case GLFW_KEY_SPACE:
        q.press(Key::kSpace);
        break;
      case GLFW_KEY_ESCAPE:
        q.press(Key::kEscape);
        break;
      case GLFW_KEY_ENTER:
      case GLFW_KEY_KP_ENTER:
        q.press(Key::kEnter);
        break;
      case GLFW_KEY_F1:
        q.press(Key::kF1);
        break;
      case GLFW_KEY_F3:
        q.press(Key::kF3);
        break;
      case GLFW_KEY_F:
        if (ctrl) q.press(Key::kCtrlF);
        break;
      case GLFW_KEY_O:
        if (ctrl) q.press(Key::kCtrlO);
        break;
      case GLFW_KEY_Q:
        if (ctrl) q.press(Key::kCtrlQ);
        break;
      default:
        break;
    }
  }
  ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
}

}  // namespace

KeyQueue& key_queue() {
  static KeyQueue queue;
  return queue;
}

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
    glfwSetKeyCallback(window_, on_key);  // ImGui's own is called from on_key
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

std::vector<uint8_t> GuiContext::read_pixels(int x, int y, int width, int height,
                                             int framebuffer_height) {
  std::vector<uint8_t> bottom_up(static_cast<size_t>(width) * height * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(x, framebuffer_height - y - height, width, height, GL_RGBA, GL_UNSIGNED_BYTE,
               bottom_up.data());
  std::vector<uint8_t> rgba(bottom_up.size());
  const size_t row = static_cast<size_t>(width) * 4;
  for (int r = 0; r < height; ++r)
    std::copy_n(&bottom_up[static_cast<size_t>(height - 1 - r) * row], row,
                &rgba[static_cast<size_t>(r) * row]);
  return rgba;
}

void GuiContext::draw_frame(int framebuffer_width, int framebuffer_height) {
  glViewport(0, 0, framebuffer_width, framebuffer_height);
  glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  // Offscreen frames are never swapped: wait for each one as a window's swap
  // does. Unthrottled, the software renderer queues frame after frame, each
  // with its scene and copies (1.2 GB for the token strip alone).
  if (!interactive_) glFinish();
}

}  // namespace ssa::gui
