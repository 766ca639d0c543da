// Transport: the step scrubber and playback. Keyboard: space play/pause,
// left/right one step, home/end first/last step (while no text field has focus).
#include <imgui.h>

#include <algorithm>
#include <cmath>
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
  // Where ImGui centres the grab for a step (an integer slider's grab is one
  // step wide, at least GrabMinSize), so the marks below sit under the grab.
  const float slider_sz = slider_max.x - slider_min.x - 4;
  const float grab = std::min(slider_sz, std::max(slider_sz / static_cast<float>(hi - lo + 1),
                                                  ImGui::GetStyle().GrabMinSize));
  auto centre = [&](long long v) {
    const float t = hi > lo ? static_cast<float>(v - lo) / static_cast<float>(hi - lo) : 0.0f;
    return slider_min.x + 2 + grab / 2 + t * (slider_sz - grab);
  };
  const auto& bookmarks = ctx.model.bookmarks(s.run_id);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (const auto& b : bookmarks) {
    if (b.step < lo || b.step > hi) continue;
    const float x = centre(b.step);
    dl->AddTriangleFilled(ImVec2(x - 5, slider_min.y - 1), ImVec2(x + 5, slider_min.y - 1),
                          ImVec2(x, slider_min.y + 6), theme::bookmark());
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

  // Under the scrubber, step for step: where the answer chunk was unfolded and
  // how much of the full-attention mass the unfolded chunks covered.
  if (!has_lane(ctx.run) || !has_steps) return;
  const float lane_h = lane_height(ctx.run);
  const ImVec2 row = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(slider_max.x - row.x, lane_h));
  const float cell = hi > lo ? (slider_sz - grab) / static_cast<float>(hi - lo) : slider_sz;
  draw::StepLane lane;
  lane.run = ctx.run;
  lane.first = lo;
  lane.last = hi;
  lane.current = s.step;
  lane.coverage_bars = ctx.run->quality.has_coverage();
  lane.coverage_top = draw::share_axis_max(ctx.run->quality.max_coverage);
  const int64_t clicked = draw::step_lane(dl, ImVec2(centre(lo) - cell / 2, row.y),
                                          ImVec2(centre(hi) + cell / 2, row.y + lane_h), lane);
  if (clicked >= 0) s.step = clicked, s.playing = false;
  // Under the buttons: the lane's legend, read out at the current step.
  const summary::DecodeSummary& q = ctx.run->quality;
  const sessions::DecodeStepRecord* d = summary::find_step(ctx.run->decode_steps, s.step);
  const float font = ImGui::GetFontSize();
  float x = row.x;
  dl->PushClipRect(ImVec2(row.x, row.y - font), ImVec2(slider_min.x - 6, row.y + lane_h + font),
                   true);
  auto legend = [&](ImU32 colour, const char* text) {
    dl->AddRectFilled(ImVec2(x, row.y + (lane_h - font * 0.6f) / 2),
                      ImVec2(x + font * 0.8f, row.y + (lane_h + font * 0.6f) / 2), colour, 2.0f);
    x += font * 0.8f + 4;
    dl->AddText(ImVec2(x, row.y + (lane_h - font) / 2), theme::text_dim(), text);
    x += ImGui::CalcTextSize(text).x + 12;
  };
  if (q.knows_answer()) {
    const int32_t flag = d ? d->answer_unfolded : -1;
    legend(flag > 0 ? theme::answer() : theme::with_alpha(theme::text_dim(), 0.35f),
           flag > 0    ? "answer unfolded"
           : flag == 0 ? "answer not unfolded"
                       : "answer unknown");
  }
  if (q.has_coverage()) {
    char text[48];
    if (d && d->full_mass_coverage >= 0)
      std::snprintf(text, sizeof text, "mass covered %.3f", d->full_mass_coverage);
    else
      std::snprintf(text, sizeof text, "mass covered -");
    legend(theme::coverage(), text);
  }
  dl->PopClipRect();
}

bool TransportView::has_lane(const RunData* run) {
  return run && (run->quality.has_coverage() || run->quality.knows_answer());
}

float TransportView::lane_height(const RunData* run) {
  // Coverage bars want room; answer marks alone need a strip.
  const bool bars = run && run->quality.has_coverage();
  return std::round(ImGui::GetFontSize() * (bars ? 1.25f : 0.9f));
}

float TransportView::height(const RunData* run) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float base = ImGui::GetFrameHeight() + 2 * style.WindowPadding.y + 6;
  return has_lane(run) ? base + lane_height(run) + style.ItemSpacing.y : base;
}

}  // namespace ssa::gui
