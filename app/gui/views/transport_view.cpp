// Transport: the step scrubber and playback. Keys (while no text field has
// focus): space play/pause, left/right one step, page up/down ten, home/end
// first/last step. Every press counts, also the repeats of a held key and
// presses shorter than a frame (core/key_queue.h). The steps are the run's
// recorded ones (RunData::steps), walked by index.
//
// [SECTION] update: playback and keys
// [SECTION] draw: the panel body
// [SECTION] buttons and speed
// [SECTION] scrubber with bookmarks
// [SECTION] go box
// [SECTION] step lane and its read-out
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

// The step `delta` recorded steps away from `step` (clamped).
int64_t step_by(const RunData& run, int64_t step, int64_t delta) {
  if (run.steps.empty()) return step;
  const int64_t i = static_cast<int64_t>(run.step_index(step));
  const int64_t j = std::clamp<int64_t>(i + delta, 0, static_cast<int64_t>(run.steps.size()) - 1);
  return run.steps[static_cast<size_t>(j)];
}

float lane_height(const RunData* run) {
  // Coverage bars want room; answer marks alone need a strip.
  const bool bars = run && run->quality.has_coverage();
  return std::round(ImGui::GetFontSize() * (bars ? 1.25f : 0.9f));
}

}  // namespace

// --- [SECTION] update: playback and keys -------------------------------------------------

void TransportView::update(ViewContext& ctx, float dt) {
  UiState& s = ctx.state;
  const RunData& run = *ctx.run;
  if (run.steps.empty()) return;
  if (!ImGui::GetIO().WantTextInput) {
    const KeyQueue& k = ctx.keys;
    if (k.count(Key::kSpace) % 2 == 1) s.playing = !s.playing;
    const int64_t delta = k.count(Key::kRight) - k.count(Key::kLeft) +
                          10 * (k.count(Key::kPageDown) - k.count(Key::kPageUp));
    if (delta != 0) s.step = step_by(run, s.step, delta), s.playing = false;
    if (k.pressed(Key::kHome)) s.step = run.steps.front(), s.playing = false;
    if (k.pressed(Key::kEnd)) s.step = run.steps.back(), s.playing = false;
  }
  if (s.playing) {
    s.play_clock += dt * s.steps_per_second;
    while (s.play_clock >= 1.0) {
      s.play_clock -= 1.0;
      if (s.step >= run.steps.back()) {
        s.playing = false;
        break;
      }
      s.step = step_by(run, s.step, 1);
    }
  } else {
    s.play_clock = 0;
  }
  // A step the run does not have (another run was shown) becomes its nearest one.
  s.step = run.steps[run.step_index(s.step)];
}

// --- [SECTION] draw: the panel body ----------------------------------------------------------

bool TransportView::has_lane(const RunData* run) {
  return run && (run->quality.has_coverage() || run->quality.knows_answer());
}

float TransportView::height(const RunData* run) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float base = ImGui::GetFrameHeight() + 2 * style.WindowPadding.y + 6;
  return has_lane(run) ? base + lane_height(run) + style.ItemSpacing.y : base;
}

void TransportView::draw(ViewContext& ctx) {
  const bool has_steps = !ctx.run->steps.empty();
  ImGui::BeginDisabled(!has_steps);
  draw_buttons(ctx);
  ImGui::SameLine();
  draw_scrubber(ctx);
  ImGui::SameLine();
  draw_go_box(ctx);
  ImGui::EndDisabled();
  if (has_steps && has_lane(ctx.run.get())) draw_lane(ctx);
}

// --- [SECTION] buttons and speed -----------------------------------------------------------

void TransportView::draw_buttons(ViewContext& ctx) {
  UiState& s = ctx.state;
  const RunData& run = *ctx.run;
  if (ImGui::Button("|<") && !run.steps.empty()) ctx.go_to_step(run.steps.front());
  ImGui::SameLine();
  if (ImGui::Button("<")) ctx.go_to_step(step_by(run, s.step, -1));
  ImGui::SameLine();
  if (ImGui::Button(s.playing ? "Pause" : "Play", ImVec2(64, 0))) s.playing = !s.playing;
  ImGui::SameLine();
  if (ImGui::Button(">")) ctx.go_to_step(step_by(run, s.step, 1));
  ImGui::SameLine();
  if (ImGui::Button(">|") && !run.steps.empty()) ctx.go_to_step(run.steps.back());
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
}

// --- [SECTION] scrubber with bookmarks ---------------------------------------------------------

void TransportView::draw_scrubber(ViewContext& ctx) {
  UiState& s = ctx.state;
  const RunData& run = *ctx.run;
  const float go_width = 150.0f;
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - go_width));
  const int n = static_cast<int>(std::max<size_t>(1, run.steps.size()));
  int index = static_cast<int>(run.step_index(s.step));
  scrubber_min_ = ImGui::GetCursorScreenPos();
  char format[96];
  if (run.steps.empty())
    std::snprintf(format, sizeof format, "%s", run.ended() ? "no steps" : "no step yet");
  else
    std::snprintf(format, sizeof format, "step %lld  (%d of %d)", static_cast<long long>(s.step),
                  index + 1, n);
  if (ImGui::SliderInt("##step", &index, 0, n - 1, format) && !run.steps.empty())
    ctx.go_to_step(run.steps[static_cast<size_t>(std::clamp(index, 0, n - 1))]);
  scrubber_max_ = ImGui::GetItemRectMax();
  // A tick for every bookmark of the run, under the grab's centre for its step.
  const float slider = scrubber_max_.x - scrubber_min_.x - 4;
  const float grab = std::min(slider, std::max(slider / n, ImGui::GetStyle().GrabMinSize));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (const auto& b : run.bookmarks) {
    if (run.steps.empty() || b.step < run.steps.front() || b.step > run.steps.back()) continue;
    const float t = n > 1 ? static_cast<float>(run.step_index(b.step)) / (n - 1) : 0.0f;
    const float x = scrubber_min_.x + 2 + grab / 2 + t * (slider - grab);
    dl->AddTriangleFilled(ImVec2(x - 5, scrubber_min_.y - 1), ImVec2(x + 5, scrubber_min_.y - 1),
                          ImVec2(x, scrubber_min_.y + 6), theme::bookmark());
  }
}

// --- [SECTION] go box ------------------------------------------------------------------------

void TransportView::draw_go_box(ViewContext& ctx) {
  UiState& s = ctx.state;
  // The box shows the current step until the user types; Go or Enter applies.
  if (!go_editing_)
    std::snprintf(go_text_, sizeof go_text_, "%lld", static_cast<long long>(s.step));
  ImGui::SetNextItemWidth(80);
  ImGui::InputText("##go", go_text_, sizeof go_text_,
                   ImGuiInputTextFlags_CharsDecimal | ImGuiInputTextFlags_AutoSelectAll);
  if (ImGui::IsItemEdited()) go_editing_ = true;
  const bool enter = ImGui::IsItemDeactivated() && ctx.keys.pressed(Key::kEnter);
  const bool cancel = ImGui::IsItemDeactivated() && ctx.keys.pressed(Key::kEscape);
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::TextUnformatted("type a step, then Go or Enter");
    ImGui::EndTooltip();
  }
  ImGui::SameLine();
  const bool go = ImGui::Button("Go");
  if ((go || enter) && go_text_[0]) {
    const int64_t target = std::strtoll(go_text_, nullptr, 10);
    ctx.go_to_step(ctx.run->steps.empty() ? target : ctx.run->steps[ctx.run->step_index(target)]);
    if (ctx.run->steps.empty() || ctx.run->steps[ctx.run->step_index(target)] != target)
      s.status = "no step " + std::to_string(target) + ": went to step " + std::to_string(s.step);
    go_editing_ = false;
  }
  if (cancel) go_editing_ = false, ctx.keys.consume(Key::kEscape);
}

// --- [SECTION] step lane and its read-out
// ---------------------------------------------------------

void TransportView::draw_lane(ViewContext& ctx) {
  UiState& s = ctx.state;
  const RunData& run = *ctx.run;
  const float h = lane_height(&run);
  const ImVec2 row = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(scrubber_max_.x - row.x, h));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int n = static_cast<int>(run.steps.size());
  const float slider = scrubber_max_.x - scrubber_min_.x - 4;
  const float grab = std::min(slider, std::max(slider / n, ImGui::GetStyle().GrabMinSize));
  const float cell = n > 1 ? (slider - grab) / (n - 1) : slider;
  draw::StepLane lane;
  lane.run = &run;
  lane.first = run.steps.front();
  lane.last = run.steps.back();
  lane.current = s.step;
  lane.coverage_bars = run.quality.has_coverage();
  lane.coverage_top = ctx.coverage_top;
  const float x0 = scrubber_min_.x + 2 + grab / 2 - cell / 2;
  const int64_t clicked =
      draw::step_lane(dl, ImVec2(x0, row.y), ImVec2(x0 + cell * n, row.y + h), lane);
  if (clicked >= 0) ctx.go_to_step(clicked);
  // Under the buttons: the lane's legend, read out at the current step.
  const sessions::DecodeStepRecord* d = run.decode_step(s.step);
  ImFont* small = theme::fonts().small ? theme::fonts().small : ImGui::GetFont();
  const float font = small->FontSize;
  float x = row.x;
  dl->PushClipRect(ImVec2(row.x, row.y - font), ImVec2(scrubber_min_.x - 6, row.y + h + font),
                   true);
  auto legend = [&](ImU32 colour, const std::string& text) {
    dl->AddRectFilled(ImVec2(x, row.y + (h - font * 0.6f) / 2),
                      ImVec2(x + font * 0.8f, row.y + (h + font * 0.6f) / 2), colour, 2.0f);
    x += font * 0.8f + 4;
    dl->AddText(small, font, ImVec2(x, row.y + (h - font) / 2), theme::text_dim(), text.c_str());
    x += small->CalcTextSizeA(font, FLT_MAX, 0, text.c_str()).x + 10;
  };
  if (run.quality.knows_answer()) {
    const int32_t flag = d ? d->answer_unfolded : -1;
    legend(flag > 0 ? theme::chosen() : theme::with_alpha(theme::text_dim(), 0.35f),
           flag > 0    ? "answer unfolded"
           : flag == 0 ? "answer not unfolded"
                       : "answer unknown");
  }
  if (run.quality.has_coverage()) {
    char text[64];
    if (d && d->full_mass_coverage >= 0)
      std::snprintf(text, sizeof text, "covered %.3f of 1", d->full_mass_coverage);
    else
      std::snprintf(text, sizeof text, "covered -");
    legend(theme::coverage(), text);
  }
  dl->PopClipRect();
}

}  // namespace ssa::gui
