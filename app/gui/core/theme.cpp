// Theme: colours and fonts (see theme.h). A dark, low-glare base so that the
// role colours carry the meaning.
#include "app/gui/core/theme.h"

#include <algorithm>
#include <cmath>
#include <fstream>

namespace ssa::gui::theme {
namespace {

Fonts g_fonts;

constexpr ImU32 rgb(int r, int g, int b, int a = 255) {
  return IM_COL32(r, g, b, a);
}

bool file_exists(const char* path) {
  return std::ifstream(path).good();
}

// Latin text plus the few symbols the views draw (line-break arrow, bullets, triangles).
const ImWchar kGlyphRanges[] = {0x0020, 0x00FF, 0x2013, 0x2026, 0x2190, 0x21FF,
                                0x2500, 0x25FF, 0x2713, 0x2717, 0};

ImFont* load_font(const char* const* candidates, float size) {
  ImGuiIO& io = ImGui::GetIO();
  for (const char* const* c = candidates; *c; ++c) {
    if (file_exists(*c)) {
      ImFontConfig config;
      config.OversampleH = 2;
      return io.Fonts->AddFontFromFileTTF(*c, size, &config, kGlyphRanges);
    }
  }
  // ImGui's built-in font is 13 px; scale it so the fallback stays readable.
  ImFontConfig config;
  config.SizePixels = size;
  return io.Fonts->AddFontDefault(&config);
}

}  // namespace

ImU32 raw_token() {
  return rgb(122, 134, 158);
}
ImU32 gist_level(int level) {
  // Amber for gists, then magenta, violet, teal, ... for meta-gist levels.
  static const ImU32 levels[] = {rgb(242, 169, 59), rgb(226, 86, 155), rgb(150, 110, 240),
                                 rgb(56, 193, 181), rgb(230, 230, 90)};
  const int n = static_cast<int>(sizeof(levels) / sizeof(levels[0]));
  return levels[std::clamp(level, 0, n - 1)];
}
ImU32 unfolded() {
  return rgb(76, 195, 138);
}
ImU32 selected_path() {
  return rgb(62, 197, 255);
}
ImU32 answer() {
  return rgb(255, 93, 93);
}
ImU32 coverage() {
  // Lime: the one hue the role colours, the compare pair and the score map leave free.
  return rgb(178, 226, 64);
}
ImU32 bookmark() {
  return rgb(236, 238, 244);
}
ImU32 error() {
  return rgb(255, 120, 120);
}
ImU32 metric() {
  return rgb(206, 188, 166);
}
ImU32 compare_a() {
  return rgb(96, 150, 255);
}
ImU32 compare_b() {
  return rgb(255, 150, 70);
}
ImU32 suffix() {
  return rgb(196, 201, 214);
}
ImU32 sink() {
  return rgb(90, 160, 220);
}
ImU32 masked() {
  return rgb(30, 33, 40);
}
ImU32 grid() {
  return rgb(58, 63, 76);
}
ImU32 text_dim() {
  return rgb(140, 147, 163);
}
ImU32 panel_background() {
  return rgb(22, 24, 30);
}

ImU32 role_colour(int role) {
  return role <= 0 ? raw_token() : gist_level(role - 1);
}

ImU32 score_colour(float t) {
  // Piecewise-linear "deep blue -> blue -> light cyan -> pale yellow": readable
  // on the dark base and distinct from the role colours' amber/green.
  static const float stops[][3] = {
      {20, 26, 48}, {36, 72, 150}, {70, 140, 220}, {150, 210, 235}, {250, 245, 200}};
  t = std::clamp(std::isfinite(t) ? t : 0.0f, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(t), 3);
  const float f = t - static_cast<float>(i);
  auto mix = [&](int c) {
    return static_cast<int>(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f + 0.5f);
  };
  return rgb(mix(0), mix(1), mix(2));
}

ImU32 with_alpha(ImU32 colour, float alpha) {
  const ImU32 a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
  return (colour & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

void apply(float scale) {
  static const char* const sans[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", nullptr};
  static const char* const sans_bold[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                                          "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                          nullptr};
  static const char* const mono[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                                     nullptr};
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  g_fonts.ui = load_font(sans, 16.0f * scale);
  g_fonts.mono = load_font(mono, 15.0f * scale);
  g_fonts.title = load_font(sans_bold, 16.0f * scale);
  io.FontDefault = g_fonts.ui;

  ImGuiStyle& style = ImGui::GetStyle();
  style = ImGuiStyle();
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 6.0f;
  style.ChildRounding = 4.0f;
  style.FrameRounding = 4.0f;
  style.GrabRounding = 4.0f;
  style.PopupRounding = 4.0f;
  style.ScrollbarRounding = 6.0f;
  style.TabRounding = 4.0f;
  style.WindowPadding = ImVec2(10, 8);
  style.FramePadding = ImVec2(8, 4);
  style.ItemSpacing = ImVec2(8, 6);
  style.WindowBorderSize = 1.0f;
  style.WindowTitleAlign = ImVec2(0.0f, 0.5f);
  style.ScaleAllSizes(scale);

  ImVec4* c = style.Colors;
  auto v = [](int r, int g, int b, float a = 1.0f) {
    return ImVec4(r / 255.0f, g / 255.0f, b / 255.0f, a);
  };
  c[ImGuiCol_WindowBg] = v(29, 32, 39);
  c[ImGuiCol_ChildBg] = v(24, 27, 33);
  c[ImGuiCol_PopupBg] = v(34, 37, 46, 0.97f);
  c[ImGuiCol_Border] = v(52, 57, 70);
  c[ImGuiCol_TitleBg] = v(36, 40, 50);
  c[ImGuiCol_TitleBgActive] = v(42, 48, 62);
  c[ImGuiCol_TitleBgCollapsed] = v(36, 40, 50);
  c[ImGuiCol_MenuBarBg] = v(34, 38, 47);
  c[ImGuiCol_FrameBg] = v(40, 44, 55);
  c[ImGuiCol_FrameBgHovered] = v(52, 58, 72);
  c[ImGuiCol_FrameBgActive] = v(60, 67, 84);
  c[ImGuiCol_Button] = v(48, 54, 68);
  c[ImGuiCol_ButtonHovered] = v(62, 90, 130);
  c[ImGuiCol_ButtonActive] = v(62, 120, 180);
  c[ImGuiCol_Header] = v(48, 58, 78);
  c[ImGuiCol_HeaderHovered] = v(60, 80, 110);
  c[ImGuiCol_HeaderActive] = v(62, 110, 160);
  c[ImGuiCol_SliderGrab] = v(62, 197, 255);
  c[ImGuiCol_SliderGrabActive] = v(120, 215, 255);
  c[ImGuiCol_CheckMark] = v(62, 197, 255);
  c[ImGuiCol_Tab] = v(40, 45, 57);
  c[ImGuiCol_TabHovered] = v(62, 90, 130);
  c[ImGuiCol_TabActive] = v(56, 72, 100);
  c[ImGuiCol_Text] = v(222, 226, 234);
  c[ImGuiCol_TextDisabled] = v(128, 135, 150);
  c[ImGuiCol_PlotLines] = v(62, 197, 255);
  c[ImGuiCol_Separator] = v(52, 57, 70);
}

const Fonts& fonts() {
  return g_fonts;
}

}  // namespace ssa::gui::theme
