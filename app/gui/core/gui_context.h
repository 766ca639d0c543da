// GuiContext: one GLFW window with an OpenGL 3.3 context, an ImGui context
// with the workbench theme, and ImGui's OpenGL 3 renderer.
//
// The interactive path asks for a visible window and ImGui's GLFW platform
// backend (input, cursor, clipboard); the offscreen path asks for a hidden
// window and feeds ImGui its display size itself, so both share every line of
// drawing code. Interactive key presses are also counted in key_queue()
// (core/key_queue.h), so that none is lost between frames. Failures (no display, no OpenGL 3.3)
// throw std::runtime_error with a one-line reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct GLFWwindow;

namespace ssa::gui {

struct GuiContextOptions {
  int width = 1600;
  int height = 1000;
  bool visible = true;  // false: hidden window, no platform input
  std::string title = "SSA Workbench";
};

class GuiContext {
 public:
  explicit GuiContext(const GuiContextOptions& options);
  ~GuiContext();
  GuiContext(const GuiContext&) = delete;
  GuiContext& operator=(const GuiContext&) = delete;

  GLFWwindow* window() const { return window_; }
  bool interactive() const { return interactive_; }

  // Starts an ImGui frame: from GLFW input when interactive, else for a
  // display of width x height with a fixed 1/60 s time step.
  void begin_frame(int width, int height);
  // Ends the frame (ImGui::Render) and draws it into the bound framebuffer.
  void render_frame(int framebuffer_width, int framebuffer_height);
  // Draws an already ended frame (after the caller's own ImGui::Render()).
  void draw_frame(int framebuffer_width, int framebuffer_height);
  // RGBA pixels of the rectangle (top-left x, y; ImGui's coordinates) of the
  // bound framebuffer, top row first: a view exported as PNG.
  static std::vector<uint8_t> read_pixels(int x, int y, int width, int height,
                                          int framebuffer_height);

 private:
  GLFWwindow* window_ = nullptr;
  bool interactive_ = false;
};

// True when an X display (or Wayland) is named in the environment.
bool display_available();

}  // namespace ssa::gui
