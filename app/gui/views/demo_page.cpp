// The first screen (see views.h: DemoPage): the demos as cards, each its
// name, its recording's file, one line on what it is and its runs; the whole
// card opens it. A demo that cannot be opened is drawn dimmed with the
// reason in the error colour and does nothing when clicked.
//
// [SECTION] one card
// [SECTION] draw: the page
#include <algorithm>
#include <filesystem>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

constexpr float kPad = 14.0f, kGap = 6.0f;

ImVec2 wrapped_size(ImFont* font, const std::string& text, float width) {
  return font->CalcTextSizeA(font->FontSize, FLT_MAX, width, text.c_str());
}

float wrapped_text(ImDrawList* dl, ImFont* font, ImVec2 at, ImU32 colour, const std::string& text,
                   float width) {
  dl->AddText(font, font->FontSize, at, colour, text.c_str(), nullptr, width);
  return wrapped_size(font, text, width).y;
}

// --- [SECTION] one card ---------------------------------------------------------------------

// Draws the card at the cursor, `width` wide; true when it was clicked (and can open).
bool card(const Demo& demo, int index, float width) {
  const theme::Fonts& fonts = theme::fonts();
  ImFont* ui = fonts.ui;
  const float inner = width - 2 * kPad;
  const std::string file = std::filesystem::path(demo.path).filename().string();
  const std::string action = demo.available() ? "Open \xE2\x96\xB8" : "not available";
  const std::string third = demo.available() ? demo.runs : demo.problem;
  const float title_h = fonts.title->FontSize;
  const float desc_h = demo.description.empty() ? 0 : wrapped_size(ui, demo.description, inner).y;
  const float third_h = third.empty() ? 0 : wrapped_size(fonts.small, third, inner).y;
  const float height =
      kPad + title_h + (desc_h > 0 ? kGap + desc_h : 0) + (third_h > 0 ? kGap + third_h : 0) + kPad;
  const ImVec2 a = ImGui::GetCursorScreenPos(), b(a.x + width, a.y + height);
  ImGui::PushID(index);
  const bool clicked = ImGui::InvisibleButton("##demo", ImVec2(width, height));
  const bool hovered = ImGui::IsItemHovered();
  ImGui::PopID();
  if (hovered && !demo.available()) {
    ImGui::BeginTooltip();
    ImGui::TextUnformatted(demo.problem.c_str());
    ImGui::EndTooltip();
  }
  const bool live = demo.available();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(
      a, b, ImGui::GetColorU32(hovered && live ? ImGuiCol_ButtonHovered : ImGuiCol_FrameBg), 6.0f);
  dl->AddRect(a, b, hovered && live ? theme::text_dim() : theme::grid(), 6.0f);
  const ImU32 main = live ? theme::text() : theme::text_dim();
  float y = a.y + kPad;
  dl->AddText(fonts.title, title_h, ImVec2(a.x + kPad, y), main, demo.title.c_str());
  const float title_w = fonts.title->CalcTextSizeA(title_h, FLT_MAX, 0, demo.title.c_str()).x;
  dl->AddText(ui, ui->FontSize, ImVec2(a.x + kPad + title_w + 12, y + 1), theme::text_dim(),
              file.c_str());
  const float action_w = ui->CalcTextSizeA(ui->FontSize, FLT_MAX, 0, action.c_str()).x;
  dl->AddText(ui, ui->FontSize, ImVec2(b.x - kPad - action_w, y + 1),
              live ? theme::text() : theme::error(), action.c_str());
  y += title_h;
  if (desc_h > 0)
    y += kGap + wrapped_text(dl, ui, ImVec2(a.x + kPad, y + kGap), main, demo.description, inner);
  if (third_h > 0)
    wrapped_text(dl, fonts.small, ImVec2(a.x + kPad, y + kGap),
                 live ? theme::text_dim() : theme::error(), third, inner);
  return clicked && live;
}

}  // namespace

// --- [SECTION] draw: the page ------------------------------------------------------------

std::string DemoPage::draw(const std::vector<Demo>& demos, const std::string& note) {
  std::string picked;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float width = std::max(std::min(avail.x - 24, 1000.0f), 120.0f);  // > 0 in any window
  const float left = ImGui::GetCursorPosX() + std::max(0.0f, (avail.x - width) / 2);
  ImGui::SetCursorPosY(ImGui::GetCursorPosY() + std::clamp(avail.y * 0.06f, 8.0f, 60.0f));
  ImGui::SetCursorPosX(left);
  ImGui::PushFont(theme::fonts().title);
  ImGui::SetWindowFontScale(1.4f);  // the screen's one heading
  ImGui::TextUnformatted("Demos");
  ImGui::SetWindowFontScale(1.0f);
  ImGui::PopFont();
  ImGui::SetCursorPosX(left);
  ImGui::PushTextWrapPos(left + width);
  draw::dim_text(
      "Recordings of SSA deciding, step by step, which chunks of a long prompt to unfold. "
      "Click one to open it; File > Open (Ctrl+O) opens your own recording, File > Open results "
      "folder an evaluation.");
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
  for (size_t i = 0; i < demos.size(); ++i) {
    ImGui::SetCursorPosX(left);
    if (card(demos[i], static_cast<int>(i), width)) picked = demos[i].path;
    ImGui::Dummy(ImVec2(0, 4));
  }
  if (demos.empty()) {
    ImGui::SetCursorPosX(left);
    draw::dim_text("No demo recordings were found.");
  }
  if (!note.empty()) {
    ImGui::SetCursorPosX(left);
    draw::dim_text(note);
  }
  return picked;
}

}  // namespace ssa::gui
