// Compare view: every decode run of the recording in one table (baseline,
// mean full-attention mass covered, answer-unfolded steps, keys read and
// scored per step, a step lane each), then the current run against a second
// one (same prompt, e.g. SSA k=4 vs oracle), steps aligned. For the current
// step, one row of chunks per run: green where both unfolded a chunk, blue or
// orange where only one did; below, the overlap of their choices over steps
// and the text each generated.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

namespace {

// Every decode run of the recording, one row each: its baseline, budget, the
// mean full-attention mass covered, the steps that unfolded the answer chunk,
// keys read and scored per step, and a step lane (steps aligned across rows).
// A click on a run's name makes it the second run.
void draw_runs_table(ViewContext& ctx) {
  UiState& s = ctx.state;
  std::vector<const RunData*> runs;
  int64_t first = 0, last = -1;
  for (const auto& info : ctx.model.runs()) {
    const RunData* run = ctx.model.run(info.id);
    if (!run || run->decode_steps.empty()) continue;
    runs.push_back(run);
    const int64_t a = run->decode_steps.front().step, b = run->decode_steps.back().step;
    if (last < first) first = a, last = b;
    first = std::min(first, a), last = std::max(last, b);
  }
  if (runs.size() < 2) return;
  // One coverage scale for every row, so that the bars compare.
  bool any_coverage = false;
  double largest = 0;
  for (const RunData* run : runs) {
    any_coverage = any_coverage || run->quality.has_coverage();
    largest = std::max(largest, run->quality.max_coverage);
  }
  const double coverage_top = draw::share_axis_max(largest);
  char lane_header[64];
  std::snprintf(lane_header, sizeof lane_header, "per step: answer, coverage (bar 0..%.2g)",
                coverage_top);
  const ImVec4 dim = ImGui::ColorConvertU32ToFloat4(theme::text_dim());
  const float row_h = ImGui::GetFrameHeight();
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
  if (!ImGui::BeginTable("runs", 7, flags, ImVec2(ImGui::GetContentRegionAvail().x, 0))) return;
  ImGui::TableSetupColumn("run", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("baseline", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("coverage", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("answer", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("read/step", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("scored/step", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn(any_coverage ? lane_header : "per step: answer",
                          ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  for (const RunData* run : runs) {
    const summary::DecodeSummary& q = run->quality;
    const int64_t id = run->info.id;
    ImGui::PushID(static_cast<int>(id));
    ImGui::TableNextRow(ImGuiTableRowFlags_None, row_h);
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    const bool current = id == s.run_id, second = id == s.compare_run;
    const std::string name = (current ? "\u25B6 " : second ? "\u25B7 " : "   ") + run->info.name;
    if (ImGui::Selectable(name.c_str(), second, ImGuiSelectableFlags_None) && !current)
      s.compare_run = id;
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      ImGui::TextUnformatted(current  ? "the current run (the run menu changes it)"
                             : second ? "the second run below"
                                      : "click: compare with this run below");
      ImGui::EndTooltip();
    }
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(run->baseline.c_str());
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    if (q.has_coverage()) {
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::coverage()), "%.3f",
                         q.mean_coverage);
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("mean share of the full-attention mass covered: %.4f", q.mean_coverage);
        ImGui::Text("min %.4f, max %.4f over %lld measured of %lld steps", q.min_coverage,
                    q.max_coverage, static_cast<long long>(q.coverage_steps),
                    static_cast<long long>(q.steps));
        ImGui::EndTooltip();
      }
    } else {
      ImGui::TextColored(dim, "%s", q.baseline == "full" ? "all" : "-");
    }
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    if (q.knows_answer()) {
      const std::string text =
          std::to_string(q.answer_unfolded) + " of " + std::to_string(q.answer_steps);
      if (q.answer_unfolded > 0)
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::answer()), "%s", text.c_str());
      else
        ImGui::TextUnformatted(text.c_str());
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("answer chunk unfolded at %lld of %lld steps",
                    static_cast<long long>(q.answer_unfolded),
                    static_cast<long long>(q.answer_steps));
        if (q.first_answer_step >= 0)
          ImGui::Text("first at step %lld", static_cast<long long>(q.first_answer_step));
        ImGui::EndTooltip();
      }
    } else {
      ImGui::TextColored(dim, "-");
    }
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%.1f", q.mean_keys_read);
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%.1f", q.mean_keys_scored);
    ImGui::TableNextColumn();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x;
    ImGui::Dummy(ImVec2(w, row_h));
    draw::StepLane lane;
    lane.run = run;
    lane.first = first;
    lane.last = last;
    lane.current = s.step;
    lane.coverage_bars = any_coverage;
    lane.coverage_top = coverage_top;
    lane.empty_note = q.baseline == "full" ? "full attention: reads every key, nothing measured"
                                           : "nothing measured";
    const int64_t clicked = draw::step_lane(ImGui::GetWindowDrawList(), ImVec2(p.x, p.y + 2),
                                            ImVec2(p.x + w, p.y + row_h - 2), lane);
    if (clicked >= 0)
      s.step = std::clamp(clicked, ctx.first_step, ctx.last_step), s.playing = false;
    ImGui::PopID();
  }
  ImGui::EndTable();
}

// Mass covered per step by the current run (compare_a) and the second run
// (compare_b) on one 0..1 axis, exact values on hover.
void draw_coverage_pair(ViewContext& ctx, const RunData& other, ImVec2 min, ImVec2 max) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const RunData* runs[2] = {ctx.run, &other};
  const ImU32 colours[2] = {theme::compare_a(), theme::compare_b()};
  std::vector<double> xs[2], ys[2];
  for (int i = 0; i < 2; ++i)
    for (const auto& d : runs[i]->decode_steps)
      if (d.full_mass_coverage >= 0)
        xs[i].push_back(static_cast<double>(d.step)), ys[i].push_back(d.full_mass_coverage);
  // The axis spans both runs' steps: plot the first, then draw the second into its range.
  const int base = xs[0].empty() ? 1 : 0;
  std::vector<double> axis = xs[base];
  if (!xs[1 - base].empty()) {
    axis.push_back(std::min(xs[1 - base].front(), axis.front()));
    axis.push_back(std::max(xs[1 - base].back(), axis.back()));
  }
  draw::PlotStyle style;
  style.y_min = 0;
  style.y_max =
      draw::share_axis_max(std::max(ctx.run->quality.max_coverage, other.quality.max_coverage));
  std::vector<double> axis_ys = ys[base];
  axis_ys.resize(axis.size(), ys[base].empty() ? 0.0 : ys[base].back());
  // The legend (run names in their colours) right-aligned on the label line
  // when it fits; the compare legend above names the colours too.
  const float font = ImGui::GetFontSize();
  const float names_w = ImGui::CalcTextSize(runs[0]->info.name.c_str()).x +
                        ImGui::CalcTextSize(runs[1]->info.name.c_str()).x + 2 * font;
  const char* label = "full-attention mass covered per step";
  const float room = max.x - min.x - 16 - names_w;
  if (ImGui::CalcTextSize(label).x > room) label = "mass covered";
  // An invisible axis series (the panel colour) sets the range; both runs on top.
  const auto r =
      draw::line_plot(dl, min, max, axis, axis_ys, theme::panel_background(), label, style);
  if (ImGui::CalcTextSize(label).x <= room) {
    float x = max.x - 8;
    for (int i = 1; i >= 0; --i) {
      const std::string& name = runs[i]->info.name;
      x -= ImGui::CalcTextSize(name.c_str()).x;
      dl->AddText(ImVec2(x, min.y + 3), colours[i], name.c_str());
      x -= font;
    }
  }
  for (int i = 0; i < 2; ++i) {
    std::vector<ImVec2> points;
    for (size_t j = 0; j < xs[i].size(); ++j) points.push_back(r.at(xs[i][j], ys[i][j]));
    dl->AddPolyline(points.data(), static_cast<int>(points.size()), colours[i], 0, 1.5f);
    if (points.size() * 6 < max.x - min.x)
      for (const ImVec2& p : points) dl->AddCircleFilled(p, 3.0f, colours[i]);
  }
  r.marker(dl, static_cast<double>(ctx.state.step), IM_COL32(255, 255, 255, 140));
  const int hovered[2] = {draw::hovered_point(r, xs[0]), draw::hovered_point(r, xs[1])};
  if ((hovered[0] >= 0 || hovered[1] >= 0) && ImGui::IsMouseHoveringRect(min, max)) {
    ImGui::BeginTooltip();
    for (int i = 0; i < 2; ++i) {
      if (hovered[i] < 0) continue;
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colours[i]), "%s",
                         runs[i]->info.name.c_str());
      ImGui::SameLine();
      ImGui::Text("step %.0f: %.4f", xs[i][hovered[i]], ys[i][hovered[i]]);
    }
    ImGui::EndTooltip();
  }
}

// The current run against the second one: chunks of the step, overlap and
// coverage over the steps, the text each generated.
void draw_pair(ViewContext& ctx) {
  UiState& s = ctx.state;
  ImGui::SetNextItemWidth(260);
  const RunData* other = s.compare_run >= 0 ? ctx.model.run(s.compare_run) : nullptr;
  if (ImGui::BeginCombo("second run", other ? other->info.name.c_str() : "(choose)")) {
    for (const auto& info : ctx.model.runs())
      if (info.id != s.run_id && ImGui::Selectable(info.name.c_str(), info.id == s.compare_run))
        s.compare_run = info.id;
    ImGui::EndCombo();
  }
  if (!other) {
    ImGui::TextColored(
        ImGui::ColorConvertU32ToFloat4(theme::text_dim()),
        "This recording holds one run; record a second (e.g. full attention) to compare.");
    return;
  }
  draw::swatch(theme::unfolded(), "both");
  ImGui::SameLine();
  draw::swatch(theme::compare_a(), ("only " + ctx.run->info.name).c_str());
  ImGui::SameLine();
  draw::swatch(theme::compare_b(), ("only " + other->info.name).c_str());

  const LayoutIndex& index = ctx.run->index;
  const int64_t chunks = std::max<int64_t>(1, index.num_chunks());
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float label_w = 150.0f, row_h = 26.0f;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  auto step = ctx.model.compare_step(s.run_id, s.compare_run, s.step);
  const float x0 = origin.x + label_w, x1 = origin.x + width;
  auto chunk_x = [&](int64_t c) { return x0 + (x1 - x0) * static_cast<float>(c) / chunks; };
  const std::string names[2] = {ctx.run->info.name, other->info.name};
  for (int row = 0; row < 2; ++row) {
    const float y = origin.y + row * (row_h + 6);
    dl->AddText(ImVec2(origin.x, y + (row_h - ImGui::GetFontSize()) / 2), theme::text_dim(),
                names[row].c_str());
    dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + row_h), theme::panel_background(), 3.0f);
    // A run without recorded choices (the full-attention baseline) reads everything.
    const RunData* row_run = row == 0 ? ctx.run : other;
    if (row_run->detail_steps.count == 0) {
      const bool gists_only = row_run->quality.baseline == "gist-only";
      dl->AddRectFilled(ImVec2(x0, y + 2), ImVec2(x1, y + row_h - 2),
                        theme::with_alpha(theme::suffix(), gists_only ? 0.08f : 0.25f));
      draw::centered_note(dl, ImVec2(x0, y), ImVec2(x1, y + row_h),
                          gists_only ? "gist-only: unfolds no chunk, reads the gists"
                          : row_run->quality.baseline == "full"
                              ? "full attention: reads every position"
                              : "no choices recorded");
      continue;
    }
    if (!step) continue;
    const auto& mine = row == 0 ? step->a : step->b;
    const auto& theirs = row == 0 ? step->b : step->a;
    for (int32_t c : mine) {
      const bool both = std::binary_search(theirs.begin(), theirs.end(), c);
      const ImU32 colour = both       ? theme::unfolded()
                           : row == 0 ? theme::compare_a()
                                      : theme::compare_b();
      dl->AddRectFilled(ImVec2(chunk_x(c), y + 2),
                        ImVec2(std::max(chunk_x(c + 1), chunk_x(c) + 2.0f), y + row_h - 2), colour);
    }
    for (int32_t c : ctx.run->answer_chunks)
      dl->AddRect(ImVec2(chunk_x(c) - 1, y),
                  ImVec2(std::max(chunk_x(c + 1), chunk_x(c) + 2.0f) + 1, y + row_h),
                  theme::answer(), 0, 0, 1.5f);
  }
  ImGui::Dummy(ImVec2(width, 2 * row_h + 12));
  if (step && ctx.run->detail_steps.count > 0 && other->detail_steps.count > 0) {
    std::vector<int32_t> both, only_a, only_b;
    std::set_intersection(step->a.begin(), step->a.end(), step->b.begin(), step->b.end(),
                          std::back_inserter(both));
    std::set_difference(step->a.begin(), step->a.end(), step->b.begin(), step->b.end(),
                        std::back_inserter(only_a));
    std::set_difference(step->b.begin(), step->b.end(), step->a.begin(), step->a.end(),
                        std::back_inserter(only_b));
    ImGui::Text("step %lld: %zu chunks in common, %zu only in %s, %zu only in %s",
                static_cast<long long>(s.step), both.size(), only_a.size(), names[0].c_str(),
                only_b.size(), names[1].c_str());
  }

  // Overlap over the steps; beside it, when either run measured it, the
  // full-attention mass each run covered (in its compare colour).
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float plot_h = std::max(90.0f, avail.y * 0.5f);
  const bool coverage = ctx.run->quality.has_coverage() || other->quality.has_coverage();
  const ImVec2 pa = ImGui::GetCursorScreenPos();
  const ImVec2 pb(coverage ? pa.x + std::floor((avail.x - 8) / 2) : pa.x + avail.x, pa.y + plot_h);
  ImGui::Dummy(ImVec2(avail.x, plot_h));
  if (coverage)
    draw_coverage_pair(ctx, *other, ImVec2(pb.x + 8, pa.y), ImVec2(pa.x + avail.x, pb.y));
  auto series = ctx.model.compare(s.run_id, s.compare_run);
  std::vector<double> xs, ys;
  if (series)
    for (size_t i = 0; i < series->steps.size(); ++i)
      xs.push_back(static_cast<double>(series->steps[i])), ys.push_back(series->jaccard[i]);
  const bool both_chose = ctx.run->detail_steps.count > 0 && other->detail_steps.count > 0;
  const auto r = draw::line_plot(dl, pa, pb, xs, ys, theme::unfolded(),
                                 both_chose ? "overlap of unfolded chunks (Jaccard) per step"
                                            : "overlap per step: needs choices from both runs");
  if (!xs.empty()) r.marker(dl, static_cast<double>(s.step), IM_COL32(255, 255, 255, 140));

  // What each run generated up to this step.
  const RunData* runs[2] = {ctx.run, other};
  if (ImGui::BeginTable("generated", 2,
                        ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchSame)) {
    for (int i = 0; i < 2; ++i) ImGui::TableSetupColumn(names[i].c_str());
    ImGui::TableHeadersRow();
    ImGui::TableNextRow();
    for (int i = 0; i < 2; ++i) {
      ImGui::TableSetColumnIndex(i);
      std::string text;
      for (const auto& d : runs[i]->decode_steps) {
        if (d.step > s.step) break;
        text += d.text;
      }
      ImGui::PushFont(theme::fonts().mono);
      ImGui::TextWrapped("%s", text.empty() ? "(nothing generated yet)" : text.c_str());
      ImGui::PopFont();
    }
    ImGui::EndTable();
  }
}

}  // namespace

void CompareView::draw(ViewContext& ctx) {
  draw::title("Compare", "runs of this recording, steps aligned");
  // Scrolls when the panel is short (the workbench's tab): nothing is cut off.
  ImGui::BeginChild("##compare_body", ImVec2(0, 0), false);
  draw_runs_table(ctx);
  draw_pair(ctx);
  ImGui::EndChild();
}

}  // namespace ssa::gui
