// Theme: colours and fonts (see theme.h). A dark, low-glare base so that the
// meaning colours carry the meaning; tests/gui checks that they stay apart.
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

// Latin text plus the few symbols the views draw (arrows, bullets, triangles, check marks).
const ImWchar kGlyphRanges[] = {0x0020, 0x00FF, 0x2013, 0x2026, 0x2190, 0x21FF, 0x2212,
                                0x2212, 0x2500, 0x25FF, 0x2713, 0x2717, 0};

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
  return rgb(110, 130, 160);
}
ImU32 gist_level(int level) {
  // Amber for gists, then violet, teal, olive for meta-gist levels.
  static const ImU32 levels[] = {rgb(245, 166, 35), rgb(165, 110, 255), rgb(40, 190, 170),
                                 rgb(170, 170, 60)};
  const int n = static_cast<int>(sizeof(levels) / sizeof(levels[0]));
  return levels[std::clamp(level, 0, n - 1)];
}
ImU32 sink() {
  return rgb(200, 110, 90);
}
ImU32 question() {
  return rgb(205, 210, 220);
}
ImU32 generated() {
  return rgb(255, 205, 160);
}
ImU32 chosen() {
  return rgb(40, 200, 100);
}
ImU32 answer() {
  return rgb(255, 80, 170);
}
ImU32 cursor() {
  return rgb(255, 255, 255);
}
ImU32 coverage() {
  return rgb(185, 235, 40);
}
ImU32 run_a() {
  return rgb(0, 200, 240);
}
ImU32 run_b() {
  return rgb(255, 225, 0);
}
ImU32 bookmark() {
  return rgb(150, 255, 200);
}
ImU32 metric() {
  return rgb(175, 160, 225);  // lavender grey: no SSA meaning, far from the answer's pink
}
ImU32 error() {
  return rgb(255, 90, 90);
}

// The evaluation methods, in the chart's legend order: each one's colour and
// legend label. Hues no other meaning has (tests/gui measures the distances):
// the two SSA methods in magenta and purple, the baselines in bronze, tan, plum
// and vermilion (oracle was rose, too near the answer's pink); never the
// selection's green, the gists' amber or the runs' cyan and yellow, which mean
// something else on every other page.
namespace {
struct MethodEntry {
  const char* method;
  bool hierarchical;  // tells the two "ssa" entries apart; other methods have one
  ImU32 colour;
  const char* label;
};
constexpr MethodEntry kMethods[] = {
    {"ssa", false, rgb(240, 40, 240), "SSA"},
    {"ssa", true, rgb(140, 40, 255), "H-SSA"},
    {"full", false, rgb(175, 115, 30), "full attention"},
    {"oracle", false, rgb(215, 170, 110), "oracle"},  // tan: a reference, as full's bronze
    {"gist-only", false, rgb(170, 70, 120), "gist-only"},
    {"recency", false, rgb(255, 95, 0), "recency"},
};
}  // namespace

ImU32 method_colour(const std::string& method, bool hierarchical) {
  // The method's entry; of two, the one whose `hierarchical` matches.
  const MethodEntry* found = nullptr;
  for (const auto& m : kMethods)
    if (method == m.method && (!found || m.hierarchical == hierarchical)) found = &m;
  return found ? found->colour : text_dim();
}

int method_rank(const std::string& method) {
  int rank = 0;
  for (const auto& m : kMethods) {
    if (m.method == method) return rank;
    if (!m.hierarchical) ++rank;  // H-SSA shares SSA's place
  }
  return rank;  // unknown methods last
}

std::vector<Meaning> method_meanings() {
  std::vector<Meaning> meanings;
  for (const auto& m : kMethods) meanings.push_back({m.colour, m.label});
  return meanings;
}

ImU32 score_colour(float t) {
  // One hue, dark to light: ranks read as brightness, and no meaning colour
  // is blue. The dark end stays above the masked cells' grey.
  static const float stops[][3] = {
      {25, 45, 110}, {40, 80, 170}, {60, 125, 225}, {110, 165, 245}, {170, 205, 255}};
  t = std::clamp(std::isfinite(t) ? t : 0.0f, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(t), 3);
  const float f = t - static_cast<float>(i);
  auto mix = [&](int c) {
    return static_cast<int>(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f + 0.5f);
  };
  return rgb(mix(0), mix(1), mix(2));
}

ImU32 masked() {
  return rgb(34, 37, 46);
}
ImU32 outside() {
  return rgb(18, 20, 25);
}
ImU32 grid() {
  return rgb(70, 76, 92);
}
ImU32 text() {
  return rgb(222, 226, 234);
}
ImU32 text_dim() {
  return rgb(150, 156, 172);
}
ImU32 text_on_colour() {
  return rgb(16, 18, 24);
}
ImU32 panel_background() {
  return rgb(22, 24, 30);
}

ImU32 role_colour(int role) {
  return role <= 0 ? raw_token() : gist_level(role - 1);
}

ImU32 with_alpha(ImU32 colour, float alpha) {
  const ImU32 a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
  return (colour & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

ImVec4 vec(ImU32 colour) {
  return ImGui::ColorConvertU32ToFloat4(colour);
}

std::vector<Meaning> meanings(int levels, bool coverage) {
  std::vector<Meaning> m = {{raw_token(), "raw token"}, {gist_level(0), "gist"}};
  static const char* const meta[] = {"", "meta-gist L1", "meta-gist L2", "meta-gist L3+"};
  for (int l = 1; l < levels && l < 4; ++l) m.push_back({gist_level(l), meta[l]});
  m.push_back({sink(), "sink"});
  m.push_back({question(), "question"});
  m.push_back({generated(), "generated"});
  m.push_back({chosen(), "chosen / unfolded"});
  m.push_back({answer(), "answer"});
  m.push_back({cursor(), "cursor", Meaning::Mark::kOutline});
  m.push_back({score_colour(1), "score low\xE2\x86\x92high", Meaning::Mark::kRamp});
  if (coverage) m.push_back({theme::coverage(), "mass covered"});
  return m;
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
  g_fonts.small = load_font(sans, 13.0f * scale);
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
  // Widgets in neutral greys: accents would read as meanings.
  c[ImGuiCol_WindowBg] = v(29, 32, 39);
  c[ImGuiCol_ChildBg] = v(24, 27, 33);
  c[ImGuiCol_PopupBg] = v(34, 37, 46, 0.98f);
  c[ImGuiCol_Border] = v(56, 61, 74);
  c[ImGuiCol_TitleBg] = v(36, 40, 50);
  c[ImGuiCol_TitleBgActive] = v(42, 48, 62);
  c[ImGuiCol_TitleBgCollapsed] = v(36, 40, 50);
  c[ImGuiCol_MenuBarBg] = v(34, 38, 47);
  c[ImGuiCol_FrameBg] = v(40, 44, 55);
  c[ImGuiCol_FrameBgHovered] = v(54, 60, 74);
  c[ImGuiCol_FrameBgActive] = v(64, 71, 88);
  c[ImGuiCol_Button] = v(50, 56, 70);
  c[ImGuiCol_ButtonHovered] = v(70, 78, 96);
  c[ImGuiCol_ButtonActive] = v(88, 98, 120);
  c[ImGuiCol_Header] = v(50, 58, 74);
  c[ImGuiCol_HeaderHovered] = v(66, 76, 96);
  c[ImGuiCol_HeaderActive] = v(80, 92, 116);
  c[ImGuiCol_SliderGrab] = v(170, 176, 190);
  c[ImGuiCol_SliderGrabActive] = v(220, 224, 232);
  c[ImGuiCol_CheckMark] = v(220, 224, 232);
  c[ImGuiCol_Tab] = v(40, 45, 57);
  c[ImGuiCol_TabHovered] = v(70, 78, 96);
  c[ImGuiCol_TabActive] = v(62, 70, 88);
  c[ImGuiCol_Text] = v(222, 226, 234);
  c[ImGuiCol_TextDisabled] = v(128, 135, 150);
  c[ImGuiCol_Separator] = v(56, 61, 74);
  c[ImGuiCol_ModalWindowDimBg] = v(8, 9, 12, 0.6f);
}

const Fonts& fonts() {
  return g_fonts;
}

}  // namespace ssa::gui::theme
