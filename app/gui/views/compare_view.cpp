// Compare view: every run of every open recording in one table (baseline,
// budget, what it generated and whether that is right, the mass covered, the
// steps that unfolded the answer's chunk, keys read and scored per step, a
// step lane each), then the current run against a second one, from any open
// file. The page fits its panel (1280x720 included): the table scrolls
// within a share of the height, the plots take what is left above one line
// of generated text, so their axes show without scrolling. Runs with different layouts (chunk 4
// against chunk 8) are compared on the prompt's raw tokens, the axis every layout of one prompt
// shares: for the current step, one row per run of the raw tokens it unfolded, solid where both
// runs unfolded them, outlined where only that run did; below, the overlap over the steps, the mass
// each covered, the text each generated up to the current step.
//
// [SECTION] small helpers
// [SECTION] draw: the panel body
// [SECTION] runs table
// [SECTION] second run
// [SECTION] raw-token rows of the current step
// [SECTION] plots over the steps
// [SECTION] generated text
// [SECTION] CSV
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"
#include "sessions/csv_reader.h"

namespace ssa::gui {
namespace {

// --- [SECTION] small helpers ------------------------------------------------------------

std::string run_label(const ViewContext& ctx, const RunData& run) {
  std::string s = run.info.name;
  if (ctx.worker.files().size() > 1)
    s += "  [" + std::to_string(run.id.file + 1) + "]";  // which open recording
  return s;
}

std::string printable(const std::string& text, size_t most = 40) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  if (out.size() > most) out = out.substr(0, most - 3) + "...";
  return out;
}

ImU32 verdict_colour(AnswerCheck::Verdict v) {
  return v == AnswerCheck::Verdict::kWrong ? theme::error() : theme::text();
}

}  // namespace

// --- [SECTION] draw: the panel body -------------------------------------------------------

std::string CompareView::subtitle(const ViewContext& ctx) const {
  std::string s = std::to_string(ctx.worker.runs().size()) + " runs";
  if (ctx.worker.files().size() > 1)
    s += " in " + std::to_string(ctx.worker.files().size()) + " recordings";
  return s + " · steps aligned by number";
}

void CompareView::draw(ViewContext& ctx) {
  // Scrolls only when the panel is shorter than the smallest layout.
  ImGui::BeginChild("##compare_body", ImVec2(0, 0), false);
  body_height_ = ImGui::GetContentRegionAvail().y;
  draw_runs_table(ctx);
  ImGui::Spacing();
  draw_second_run_choice(ctx);
  if (ctx.other && ctx.other->id != ctx.run->id) {
    draw_raw_rows(ctx);
    draw_plots(ctx);
    draw_generated(ctx);
  }
  ImGui::EndChild();
}

// --- [SECTION] runs table ----------------------------------------------------------------

namespace {

// The steps every lane of the table spans, so that they line up.
struct StepSpan {
  int64_t first = 0, last = -1;
  bool coverage = false;  // some run measured the mass covered
};

void cell(const char* dim_text_when_empty, bool known, const std::function<void()>& draw_known) {
  ImGui::TableNextColumn();
  ImGui::AlignTextToFramePadding();
  if (known)
    draw_known();
  else
    ImGui::TextColored(theme::vec(theme::text_dim()), "%s", dim_text_when_empty);
}

void tooltip(const std::function<void()>& lines) {
  if (!ImGui::IsItemHovered()) return;
  ImGui::BeginTooltip();
  lines();
  ImGui::EndTooltip();
}

// The run's name in its compare colour; a click makes it the second run.
void name_cell(ViewContext& ctx, const RunData& run) {
  UiState& s = ctx.state;
  ImGui::TableNextColumn();
  ImGui::AlignTextToFramePadding();
  const bool current = run.id == s.run, second = run.id == s.compare_run;
  ImGui::PushStyleColor(ImGuiCol_Text, theme::vec(current  ? theme::run_a()
                                                  : second ? theme::run_b()
                                                           : theme::text()));
  const std::string name = (current ? "A  " : second ? "B  " : "   ") + run_label(ctx, run);
  if (ImGui::Selectable(name.c_str(), second) && !current) s.compare_run = run.id;
  ImGui::PopStyleColor();
  tooltip([&] {
    ImGui::TextUnformatted(current  ? "A: the current run (the run menu changes it)"
                           : second ? "B: the second run below"
                                    : "click: compare with this run below");
    draw::dim_text(ctx.worker.files()[run.id.file]->path);
  });
}

// What the run generated (whole run) and whether it is the expected answer.
void answer_cells(const RunData& run) {
  const AnswerCheck check = check_answer(run, run.steps.empty() ? 0 : run.steps.back());
  ImGui::TableNextColumn();
  ImGui::AlignTextToFramePadding();
  ImGui::PushFont(theme::fonts().mono);
  ImGui::TextColored(theme::vec(theme::generated()), "%s", printable(check.generated, 18).c_str());
  ImGui::PopFont();
  ImGui::TableNextColumn();
  ImGui::AlignTextToFramePadding();
  if (run.failed()) {
    // Whatever it generated before it stopped is no answer.
    ImGui::TextColored(theme::vec(theme::error()), "run failed");
    tooltip([&] { ImGui::Text("the run stopped: %s", run.info.failure.c_str()); });
    return;
  }
  ImGui::TextColored(theme::vec(verdict_colour(check.verdict)), "%s",
                     describe_verdict(check).c_str());
  if (check.expected.empty()) return;
  tooltip([&] {
    ImGui::Text("expected \"%s\", generated \"%s\"", check.expected.c_str(),
                printable(check.generated, 80).c_str());
  });
}

// Mean mass covered, the steps that unfolded the answer's chunk, keys per step.
void number_cells(const RunData& run) {
  const summary::DecodeSummary& q = run.quality;
  cell(q.baseline == "full" ? "all" : "-", q.has_coverage(), [&] {
    ImGui::Text("%.3f", q.mean_coverage);
    tooltip([&] {
      ImGui::Text("mean share of the full-attention mass covered: %.4f of 1", q.mean_coverage);
      ImGui::Text("min %.4f, max %.4f over %lld measured of %lld steps", q.min_coverage,
                  q.max_coverage, static_cast<long long>(q.coverage_steps),
                  static_cast<long long>(q.steps));
    });
  });
  cell("-", q.knows_answer(), [&] {
    // A count, not a verdict: plain text.
    ImGui::Text("%lld of %lld steps", static_cast<long long>(q.answer_unfolded),
                static_cast<long long>(q.answer_steps));
    if (q.first_answer_step >= 0)
      tooltip([&] {
        ImGui::Text("unfolded first at step %lld", static_cast<long long>(q.first_answer_step));
      });
  });
  cell("", true, [&] { ImGui::Text("%.1f", q.mean_keys_read); });
  cell("", true, [&] { ImGui::Text("%.1f", q.mean_keys_scored); });
}

void lane_cell(ViewContext& ctx, const RunData& run, const StepSpan& span, float row_h) {
  ImGui::TableNextColumn();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  ImGui::Dummy(ImVec2(w, row_h));
  draw::StepLane lane;
  lane.run = &run;
  lane.first = span.first;
  lane.last = span.last;
  lane.current = ctx.state.step;
  lane.coverage_bars = span.coverage;
  lane.coverage_top = ctx.coverage_top;
  lane.empty_note = run.quality.baseline == "full"
                        ? "full attention: reads every key, nothing measured"
                        : "nothing measured";
  const int64_t clicked = draw::step_lane(ImGui::GetWindowDrawList(), ImVec2(p.x, p.y + 2),
                                          ImVec2(p.x + w, p.y + row_h - 2), lane);
  if (clicked >= 0) ctx.go_to_step(clicked);
}

}  // namespace

void CompareView::draw_runs_table(ViewContext& ctx) {
  std::vector<std::shared_ptr<const RunData>> runs;
  StepSpan span;
  for (const auto& run : ctx.worker.runs()) {
    if (run->decode_steps.empty()) continue;
    runs.push_back(run);
    const int64_t a = run->decode_steps.front().step, b = run->decode_steps.back().step;
    if (span.last < span.first) span.first = a, span.last = b;
    span.first = std::min(span.first, a), span.last = std::max(span.last, b);
    span.coverage = span.coverage || run->quality.has_coverage();
  }
  if (runs.empty()) {
    draw::dim_text("No decode runs in the open recordings.");
    return;
  }
  const float row_h = ImGui::GetFrameHeight();
  const float line_h = row_h + 2 * ImGui::GetStyle().CellPadding.y;
  // At most 30% of the page (header and two rows at the least): the rest is
  // the comparison's, whose plots need their height.
  const float table_h =
      std::min(line_h * (runs.size() + 1) + 6, std::max(line_h * 3 + 6, body_height_ * 0.30f));
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("runs", 10, flags,
                         ImVec2(ImGui::GetContentRegionAvail().x, std::max(table_h, row_h * 3))))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* name : {"run", "baseline", "budget", "generated", "correct", "covered",
                           "answer's chunk", "read/step", "scored/step"})
    ImGui::TableSetupColumn(name, ImGuiTableColumnFlags_WidthFixed);
  // Short, so that ImGui never clips it; the lane's tooltip says what it shows.
  ImGui::TableSetupColumn(span.coverage ? "per step: unfolded / covered" : "per step: unfolded",
                          ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  for (const auto& run : runs) {
    const summary::DecodeSummary& q = run->quality;
    ImGui::PushID(static_cast<int>(run->id.file * 100000 + run->id.run));
    ImGui::TableNextRow(ImGuiTableRowFlags_None, row_h);
    name_cell(ctx, *run);
    cell("", true, [&] { ImGui::TextUnformatted(run->baseline.c_str()); });
    cell("-", run->facts.k > 0 && q.baseline != "full" && q.baseline != "gist-only",
         [&] { ImGui::Text("%s k=%d", run->facts.budget.c_str(), run->facts.k); });
    answer_cells(*run);
    number_cells(*run);
    lane_cell(ctx, *run, span, row_h);
    ImGui::PopID();
  }
  ImGui::EndTable();
}

// --- [SECTION] second run ----------------------------------------------------------------

void CompareView::draw_second_run_choice(ViewContext& ctx) {
  UiState& s = ctx.state;
  ImGui::TextColored(theme::vec(theme::run_a()), "A  %s", run_label(ctx, *ctx.run).c_str());
  ImGui::SameLine();
  draw::dim_text("against");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(320);
  const std::string current =
      ctx.other ? "B  " + run_label(ctx, *ctx.other) : "(choose a second run)";
  if (ImGui::BeginCombo("##second_run", current.c_str())) {
    for (const auto& run : ctx.worker.runs())
      if (run->id != s.run && run->is_decode() &&
          ImGui::Selectable(run_label(ctx, *run).c_str(), run->id == s.compare_run))
        s.compare_run = run->id;
    ImGui::EndCombo();
  }
  if (!ctx.other || ctx.other->id == ctx.run->id)
    draw::dim_text(
        "Open or record a second run of the same prompt (e.g. full attention) to compare.");
}

// --- [SECTION] raw-token rows of the current step ---------------------------------------------

void CompareView::draw_raw_rows(ViewContext& ctx) {
  const RunData* runs[2] = {ctx.run.get(), ctx.other.get()};
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int64_t raw = std::max(runs[0]->layout ? runs[0]->layout->raw_count() : 0,
                               runs[1]->layout ? runs[1]->layout->raw_count() : 0);
  auto step = ctx.worker.compare_step(ctx.run, ctx.other, ctx.state.step);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float label_w = std::min(260.0f, width * 0.25f), row_h = 24.0f;
  const draw::Axis axis{origin.x + label_w, origin.x + width, 0.0,
                        static_cast<double>(std::max<int64_t>(1, raw)), true};
  const RawRanges both = step ? intersect(step->raw_a, step->raw_b) : RawRanges{};
  for (int row = 0; row < 2; ++row) {
    const RunData& run = *runs[row];
    const float y = origin.y + row * (row_h + 6);
    const std::string name = (row == 0 ? "A  " : "B  ") + run_label(ctx, run);
    draw::fitted_text(dl, ImVec2(origin.x, y + 3), ImVec2(origin.x + label_w - 8, y + row_h),
                      {name, name.substr(0, 3)}, row == 0 ? theme::run_a() : theme::run_b());
    const ImVec2 a(axis.a0, y), b(axis.a1, y + row_h);
    dl->AddRectFilled(a, b, theme::panel_background(), 3.0f);
    // The answer's raw tokens, in this run's own layout.
    if (run.layout)
      for (int32_t c : run.facts.answer_chunks) {
        const auto [r0, r1] = run.layout->raw_range(c);
        const float x0 = axis.at(static_cast<double>(r0)),
                    x1 = std::max(axis.at(static_cast<double>(r1 + 1)), x0 + 3);
        dl->AddRectFilled(ImVec2(x0, y + row_h - 4), ImVec2(x1, y + row_h), theme::answer());
      }
    if (!(run.layout && run.detail_steps.count > 0)) {
      const bool gists_only = run.quality.baseline == "gist-only";
      draw::centered_note(dl, a, b,
                          gists_only ? "gist-only: unfolds no chunk, reads the gists"
                          : run.quality.baseline == "full" ? "full attention: reads every position"
                                                           : "no choices recorded");
      continue;
    }
    if (!step) continue;
    const RawRanges& mine = row == 0 ? step->raw_a : step->raw_b;
    for (const auto& [r0, r1] : mine) {
      const float x0 = axis.at(static_cast<double>(r0)),
                  x1 = std::max(axis.at(static_cast<double>(r1 + 1)), x0 + 2);
      dl->AddRect(ImVec2(x0, y + 2), ImVec2(x1, y + row_h - 5), theme::chosen());
    }
    for (const auto& [r0, r1] : both) {
      const float x0 = axis.at(static_cast<double>(r0)),
                  x1 = std::max(axis.at(static_cast<double>(r1 + 1)), x0 + 2);
      dl->AddRectFilled(ImVec2(x0, y + 2), ImVec2(x1, y + row_h - 5), theme::chosen());
    }
  }
  const float axis_y = origin.y + 2 * (row_h + 6) - 4;
  draw::axis_below(dl, axis, axis_y, "raw token of the prompt");
  ImGui::Dummy(ImVec2(width, 2 * (row_h + 6) + ImGui::GetFontSize() * 2));
  if (step && runs[0]->detail_steps.count > 0 && runs[1]->detail_steps.count > 0) {
    const RawOverlap& o = step->overlap;
    ImGui::Text(
        "step %lld: %lld raw tokens unfolded by both (solid), %lld only by A, %lld only by B "
        "(outlined); "
        "Jaccard %.2f",
        static_cast<long long>(ctx.state.step), static_cast<long long>(o.both),
        static_cast<long long>(o.only_a), static_cast<long long>(o.only_b), o.jaccard());
  }
}

// --- [SECTION] plots over the steps ---------------------------------------------------------

void CompareView::draw_plots(ViewContext& ctx) {
  const RunData* runs[2] = {ctx.run.get(), ctx.other.get()};
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  // What is left above the line of generated text, within reason.
  const float below = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
  const float plot_h = std::clamp(avail.y - below, 90.0f, 320.0f);
  const ImVec2 pa = ImGui::GetCursorScreenPos();
  const float half = std::floor((avail.x - 8) / 2);
  ImGui::Dummy(ImVec2(avail.x, plot_h));
  const double x_min = std::min(runs[0]->steps.empty() ? 0 : runs[0]->steps.front(),
                                runs[1]->steps.empty() ? 0 : runs[1]->steps.front());
  const double x_max = std::max(runs[0]->steps.empty() ? 0 : runs[0]->steps.back(),
                                runs[1]->steps.empty() ? 0 : runs[1]->steps.back());
  // Overlap of what both unfolded, on raw tokens.
  auto series = ctx.worker.compare_series(ctx.run, ctx.other);
  std::vector<double> xs, ys;
  if (series)
    for (size_t i = 0; i < series->steps.size(); ++i)
      xs.push_back(static_cast<double>(series->steps[i])), ys.push_back(series->jaccard[i]);
  draw::PlotStyle overlap_style;
  overlap_style.y_min = 0, overlap_style.y_max = 1;
  overlap_style.x_min = x_min, overlap_style.x_max = x_max;
  overlap_style.dots = true;
  const bool both_chose = runs[0]->detail_steps.count > 0 && runs[1]->detail_steps.count > 0;
  overlap_style.empty_note = both_chose ? "aggregating..." : "needs the choices of both runs";
  const auto r =
      draw::line_plot(dl, pa, ImVec2(pa.x + half, pa.y + plot_h), xs, ys, theme::chosen(),
                      "overlap of the unfolded raw tokens (Jaccard) per step", overlap_style);
  r.marker(dl, static_cast<double>(ctx.state.step), theme::with_alpha(theme::cursor(), 0.5f));
  // The mass each covered, on the one coverage scale.
  std::vector<double> cx[2], cy[2];
  for (int i = 0; i < 2; ++i)
    for (const auto& d : runs[i]->decode_steps)
      if (d.full_mass_coverage >= 0)
        cx[i].push_back(static_cast<double>(d.step)), cy[i].push_back(d.full_mass_coverage);
  draw::PlotStyle style;
  style.y_min = 0, style.y_max = ctx.coverage_top;
  style.x_min = x_min, style.x_max = x_max;
  const std::string zoom = draw::zoom_label(ctx.coverage_top);
  if (!zoom.empty()) style.zoom_note = zoom.c_str();
  style.empty_note = "neither run measured it (record with --shadow-full)";
  const ImVec2 qa(pa.x + half + 8, pa.y), qb(pa.x + avail.x, pa.y + plot_h);
  const auto rc =
      draw::plot_frame(dl, qa, qb, "full-attention mass covered per step (A cyan, B yellow)",
                       {&cx[0], &cx[1]}, {&cy[0], &cy[1]}, style);
  const ImU32 colours[2] = {theme::run_a(), theme::run_b()};
  for (int i = 0; i < 2; ++i) draw::plot_line(dl, rc, cx[i], cy[i], colours[i], 1.5f, true);
  rc.marker(dl, static_cast<double>(ctx.state.step), theme::with_alpha(theme::cursor(), 0.5f));
  const int hovered[2] = {draw::hovered_point(rc, cx[0]), draw::hovered_point(rc, cx[1])};
  if ((hovered[0] >= 0 || hovered[1] >= 0) && ImGui::IsMouseHoveringRect(qa, qb)) {
    ImGui::BeginTooltip();
    for (int i = 0; i < 2; ++i) {
      if (hovered[i] < 0) continue;
      ImGui::TextColored(theme::vec(colours[i]), "%s", i == 0 ? "A" : "B");
      ImGui::SameLine();
      ImGui::Text("step %.0f: %.4f of the mass", cx[i][hovered[i]], cy[i][hovered[i]]);
    }
    ImGui::EndTooltip();
  }
}

// --- [SECTION] generated text ------------------------------------------------------------------

// One line: what each run generated up to the current step and whether it is
// right so far, cut to its half of the width (the whole text in a tooltip).
void CompareView::draw_generated(ViewContext& ctx) {
  const RunData* runs[2] = {ctx.run.get(), ctx.other.get()};
  ImGui::AlignTextToFramePadding();
  const std::string label = "generated up to step " + std::to_string(ctx.state.step) + ":";
  draw::dim_text(label);
  const float half = std::max(
      80.0f, (ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize(label.c_str()).x) / 2 - 16);
  ImGui::PushFont(theme::fonts().mono);
  const float char_w = std::max(1.0f, ImGui::CalcTextSize("M").x);
  ImGui::PopFont();
  for (int i = 0; i < 2; ++i) {
    const AnswerCheck check = check_answer(*runs[i], ctx.state.step);
    const char* verdict = check.expected.empty() ? "" : verdict_text(check.verdict);
    const float room = half - ImGui::CalcTextSize(verdict).x - ImGui::CalcTextSize("A  ").x - 24;
    const size_t chars = static_cast<size_t>(std::max(6.0f, room / char_w));
    ImGui::SameLine(0, i == 0 ? 8.0f : 20.0f);
    ImGui::TextColored(theme::vec(i == 0 ? theme::run_a() : theme::run_b()), i == 0 ? "A" : "B");
    ImGui::SameLine();
    ImGui::PushFont(theme::fonts().mono);
    ImGui::TextColored(
        theme::vec(theme::generated()), "%s",
        check.generated.empty() ? "(nothing yet)" : printable(check.generated, chars).c_str());
    ImGui::PopFont();
    tooltip([&] {
      ImGui::Text("%s generated up to step %lld:", i == 0 ? "A" : "B",
                  static_cast<long long>(ctx.state.step));
      ImGui::TextUnformatted(check.generated.c_str());
      if (!check.expected.empty()) ImGui::Text("expected \"%s\"", check.expected.c_str());
    });
    if (*verdict) {
      ImGui::SameLine();
      ImGui::TextColored(theme::vec(verdict_colour(check.verdict)), "%s", verdict);
    }
  }
}

// --- [SECTION] CSV ----------------------------------------------------------------------------

void CompareView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  out << "file,run,name,baseline,step,text,keys_read,keys_scored,full_mass_coverage,answer_"
         "unfolded\n";
  for (const auto& run : ctx.worker.runs())
    for (const auto& d : run->decode_steps) {
      out << run->id.file << "," << run->id.run << "," << sessions::csv_field(run->info.name) << ","
          << run->baseline << "," << d.step << "," << sessions::csv_field(d.text) << ","
          << d.keys_read << "," << d.keys_scored << "," << d.full_mass_coverage << ","
          << d.answer_unfolded << "\n";
    }
}

}  // namespace ssa::gui
