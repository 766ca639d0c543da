// The step lane and a step's tooltip (see draw_helpers.h). "The answer's
// chunk was unfolded" is an act of choosing: the chosen colour, not the
// answer's (which marks where the answer lives).
#include <algorithm>
#include <cfloat>

#include "app/gui/views/draw_helpers.h"

namespace ssa::gui::draw {

void step_tooltip(const RunData& run, int64_t step) {
  const ImVec4 dim = theme::vec(theme::text_dim());
  const sessions::DecodeStepRecord* d = run.decode_step(step);
  ImGui::Text("step %lld", static_cast<long long>(step));
  if (!d) {
    ImGui::TextColored(dim, "no decode record for this step");
    return;
  }
  std::string token;
  for (char ch : d->text) token += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  ImGui::SameLine();
  ImGui::TextColored(dim, "produced");
  ImGui::SameLine();
  ImGui::PushFont(theme::fonts().mono);
  ImGui::TextColored(theme::vec(theme::generated()), "\"%s\"", token.c_str());
  ImGui::PopFont();
  if (d->full_mass_coverage >= 0) {
    ImGui::Text("full-attention mass covered: %.4f (of 1)", d->full_mass_coverage);
  } else {
    ImGui::TextColored(dim, "%s",
                       run.quality.baseline == "full"
                           ? "full attention reads every key (nothing to cover)"
                       : run.quality.shadow_full
                           ? "full-attention mass: not measured at this step"
                           : "full-attention mass: not measured (record with --shadow-full)");
  }
  if (d->answer_unfolded > 0)
    ImGui::TextUnformatted("the answer's chunk was unfolded (by at least one layer and head)");
  else if (d->answer_unfolded == 0)
    ImGui::TextUnformatted("the answer's chunk was not unfolded by any layer or head");
  else
    ImGui::TextColored(dim, "the answer's chunk: unknown for this run");
  ImGui::TextColored(dim, "keys read %lld, scored %lld; %.2f ms%s",
                     static_cast<long long>(d->keys_read), static_cast<long long>(d->keys_scored),
                     d->seconds * 1e3,
                     !run.steps.empty() && step == run.steps.front() ? " (with the prefill)" : "");
}

int64_t step_lane(ImDrawList* dl, ImVec2 min, ImVec2 max, const StepLane& lane) {
  dl->AddRectFilled(min, max, theme::panel_background(), 2.0f);
  const int64_t count = lane.last - lane.first + 1;
  if (!lane.run || count <= 0 || count > (int64_t(1) << 40)) return -1;
  const RunData& run = *lane.run;
  const bool v = lane.vertical;
  const float a0 = v ? min.y : min.x, along = v ? max.y - min.y : max.x - min.x;
  const float c0 = v ? min.x : min.y, across = v ? max.x - min.x : max.y - min.y;
  if (along < 1 || across < 3) return -1;
  // Across the lane: the answer mark, a one-pixel gap, the coverage bar.
  const float mark = lane.coverage_bars ? std::clamp(across * 0.3f, 3.0f, 6.0f) : across;
  const float bar0 = c0 + mark + 1, bar_len = across - mark - 1;
  auto pos = [&](int64_t step) {
    return a0 + along * static_cast<float>(step - lane.first) / static_cast<float>(count);
  };
  const ImU32 not_unfolded = theme::with_alpha(theme::text_dim(), 0.30f);
  bool any = false;
  for (const summary::StepBin& bin : summary::bin_steps(run.decode_steps, lane.first, lane.last,
                                                        std::max(1, static_cast<int>(along)))) {
    const float s0 = pos(bin.first);
    // Cells at least one pixel wide; a gap between them when they are wide.
    const float s1 = std::max(pos(bin.last + 1) - (count * 6 <= along ? 1.0f : 0.0f), s0 + 1.0f);
    if (bin.answer() >= 0) {
      const ImU32 colour = bin.answer() > 0 ? theme::chosen() : not_unfolded;
      if (v)
        dl->AddRectFilled(ImVec2(c0, s0), ImVec2(c0 + mark, s1), colour);
      else
        dl->AddRectFilled(ImVec2(s0, c0), ImVec2(s1, c0 + mark), colour);
    }
    if (bin.coverage >= 0 && bar_len > 0) {
      // A faint track for the whole scale, the covered share solid.
      const float len =
          bar_len * static_cast<float>(std::clamp(bin.coverage / lane.coverage_top, 0.0, 1.0));
      const ImU32 track = theme::with_alpha(theme::coverage(), 0.16f);
      if (v) {
        dl->AddRectFilled(ImVec2(bar0, s0), ImVec2(bar0 + bar_len, s1), track);
        dl->AddRectFilled(ImVec2(bar0, s0), ImVec2(bar0 + len, s1), theme::coverage());
      } else {
        dl->AddRectFilled(ImVec2(s0, c0 + across - bar_len), ImVec2(s1, c0 + across), track);
        dl->AddRectFilled(ImVec2(s0, c0 + across - len), ImVec2(s1, c0 + across),
                          theme::coverage());
      }
    }
    any = any || bin.coverage >= 0 || bin.answer() >= 0;
  }
  if (!any && lane.empty_note && !v) {
    const float font = ImGui::GetFontSize() * 0.85f;
    const ImVec2 size = ImGui::GetFont()->CalcTextSizeA(font, FLT_MAX, 0, lane.empty_note);
    if (size.x < along)
      dl->AddText(ImGui::GetFont(), font,
                  ImVec2((min.x + max.x - size.x) / 2, (min.y + max.y - size.y) / 2),
                  theme::text_dim(), lane.empty_note);
  }
  if (any && lane.current >= lane.first && lane.current <= lane.last) {
    const float s0 = pos(lane.current), s1 = std::max(pos(lane.current + 1), s0 + 2.0f);
    if (v)
      dl->AddRect(ImVec2(min.x, s0 - 1), ImVec2(max.x, s1 + 1), theme::cursor());
    else
      dl->AddRect(ImVec2(s0 - 1, min.y), ImVec2(s1 + 1, max.y), theme::cursor());
  }
  if (!ImGui::IsWindowHovered() || !ImGui::IsMouseHoveringRect(min, max)) return -1;
  const ImVec2 m = ImGui::GetIO().MousePos;
  const float t = ((v ? m.y : m.x) - a0) / along;
  const int64_t step =
      lane.first + std::clamp<int64_t>(static_cast<int64_t>(t * count), 0, count - 1);
  ImGui::BeginTooltip();
  ImGui::TextColored(theme::vec(theme::text_dim()), "%s (%s)", run.info.name.c_str(),
                     run.baseline.c_str());
  step_tooltip(run, step);
  if (lane.coverage_bars && run.quality.has_coverage())
    ImGui::TextColored(theme::vec(theme::text_dim()), "a full bar stands for %.2g of the mass%s",
                       lane.coverage_top, lane.coverage_top < 1 ? " (a zoom)" : "");
  ImGui::TextColored(theme::vec(theme::text_dim()), "click: go to this step");
  ImGui::EndTooltip();
  return ImGui::IsMouseClicked(ImGuiMouseButton_Left) ? step : -1;
}

}  // namespace ssa::gui::draw
