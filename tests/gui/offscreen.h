// What the GUI tests that render need: one private Xvfb for the whole test
// binary when there is no display (installed by scripts/setup.sh), a skip
// where there is none, and a pixel count of one theme colour.
#pragma once

#include <gtest/gtest.h>
#include <imgui.h>

#include <memory>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/virtual_display.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench_ui.h"

namespace ssa::gui::testing {

class DisplayEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!display_available() && VirtualDisplay::installed())
      display_ = std::make_unique<VirtualDisplay>(1600, 1000);
  }
  void TearDown() override { display_.reset(); }

 private:
  std::unique_ptr<VirtualDisplay> display_;
};
// Included by one file of each test binary: the binary's one display.
inline const auto* const kDisplay = ::testing::AddGlobalTestEnvironment(new DisplayEnvironment);

// Pixels of exactly `colour` (RGB), the theme's packing (ImU32 is ABGR, the image RGBA).
inline size_t pixels_of(const Image& image, ImU32 colour) {
  const uint8_t r = colour & 255, g = (colour >> 8) & 255, b = (colour >> 16) & 255;
  size_t n = 0;
  for (size_t i = 0; i + 3 < image.rgba.size(); i += 4)
    n += image.rgba[i] == r && image.rgba[i + 1] == g && image.rgba[i + 2] == b;
  return n;
}

// One frame of `ui` built (not drawn) at w x h with the mouse at (x, y), its
// left button down or up: three of them make a click.
inline void mouse_frame(GuiContext& context, WorkbenchUi& ui, int w, int h, float x, float y,
                        bool down) {
  ImGuiIO& io = ImGui::GetIO();
  io.MousePos = ImVec2(x, y);
  io.MouseDown[0] = down;
  context.begin_frame(w, h);
  ui.frame(1.0f / 60.0f);
  ImGui::Render();
}

}  // namespace ssa::gui::testing

#define REQUIRE_DISPLAY() \
  if (!display_available()) GTEST_SKIP() << "no X display (run under xvfb-run)"
