// Transport: the step scrubber and playback. Keyboard: space play/pause,
// left/right one step, home/end first/last step (while no text field has focus).
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

void TransportView::update(ViewContext& ctx, float dt) {
  UiState& s = ctx.state;
  const ImGuiIO& io = ImGui::GetIO();
  if (!io.WantTextInput) {
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space))) s.playing = !s.playing;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) s.step--, s.playing = false;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) s.step++, s.playing = false;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home))) s.step = ctx.first_step;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End))) s.step = ctx.last_step;
  }
  if (s.playing) {
    s.play_clock += dt * s.steps_per_second;
    while (s.play_clock >= 1.0) {
      s.play_clock -= 1.0;
      if (s.step >= ctx.last_step) {
        s.playing = false;
        break;
      }
      ++s.step;
    }
  } else {
    s.play_clock = 0;
  }
  s.step = std::clamp(s.step, ctx.first_step, std::max(ctx.first_step, ctx.last_step));
}

void TransportView::draw(ViewContext& ctx) {
  UiState& s = ctx.state;
  const bool has_steps = ctx.last_step >= ctx.first_step;
  ImGui::BeginDisabled(!has_steps);
  if (ImGui::Button("|<")) s.step = ctx.first_step;
  ImGui::SameLine();
  if (ImGui::Button("<")) s.step = std::max(ctx.first_step, s.step - 1);
  ImGui::SameLine();
  if (ImGui::Button(s.playing ? "Pause" : "Play", ImVec2(64, 0))) s.playing = !s.playing;
  ImGui::SameLine();
  if (ImGui::Button(">")) s.step = std::min(ctx.last_step, s.step + 1);
  ImGui::SameLine();
  if (ImGui::Button(">|")) s.step = ctx.last_step;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(110);
  static const float speeds[] = {1, 2, 4, 8, 16, 32, 64};
  char speed_label[32];
  std::snprintf(speed_label, sizeof speed_label, "%g steps/s", s.steps_per_second);
  if (ImGui::BeginCombo("##speed", speed_label)) {
    for (float v : speeds) {
      char item[32];
      std::snprintf(item, sizeof item, "%g steps/s", v);
      if (ImGui::Selectable(item, v == s.steps_per_second)) s.steps_per_second = v;
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();

  // The scrubber, with a tick for every bookmark of the run.
  const float jump_width = 190.0f;
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - jump_width));
  long long step = s.step;
  const long long lo = ctx.first_step, hi = std::max(ctx.first_step, ctx.last_step);
  const ImVec2 slider_min = ImGui::GetCursorScreenPos();
  char format[48];
  std::snprintf(format, sizeof format, "step %%lld of %lld", hi);
  if (ImGui::SliderScalar("##step", ImGuiDataType_S64, &step, &lo, &hi, format)) {
    s.step = step;
    s.playing = false;
  }
  const ImVec2 slider_max = ImGui::GetItemRectMax();
  const auto& bookmarks = ctx.model.bookmarks(s.run_id);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (const auto& b : bookmarks) {
    if (b.step < lo || b.step > hi || hi == lo) continue;
    const float x = slider_min.x + 8 +
                    (slider_max.x - slider_min.x - 16) * static_cast<float>(b.step - lo) /
                        static_cast<float>(hi - lo);
    dl->AddTriangleFilled(ImVec2(x - 5, slider_min.y - 1), ImVec2(x + 5, slider_min.y - 1),
                          ImVec2(x, slider_min.y + 6), theme::answer());
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  long long jump = jump_to_;
  if (ImGui::InputScalar("##jump", ImGuiDataType_S64, &jump, nullptr, nullptr, "%lld",
                         ImGuiInputTextFlags_EnterReturnsTrue)) {
    s.step = std::clamp<int64_t>(jump, lo, hi);
    s.playing = false;
  }
  jump_to_ = jump;
  ImGui::SameLine();
  if (ImGui::Button("Go")) s.step = std::clamp<int64_t>(jump_to_, lo, hi);
  ImGui::EndDisabled();
}

}  // namespace ssa::gui
