// Training view: the curves a run recorded, each with numbered axes.
// Training runs: loss (train smoothed over the raw curve drawn faint behind,
// eval points), learning rate, tokens/s, gradient norm; the smoothing is
// TensorBoard's (a debiased moving average, slider 0..0.99). Decode runs: the
// time per decode step with the prefill apart (step 0 holds the prefill,
// which would squash every other step to 0), keys scored and read, and the
// full-attention mass covered on the one coverage scale, the steps that
// unfolded the answer's chunk marked.
//
// [SECTION] the grid of plots
// [SECTION] draw: training or decode costs
// [SECTION] training curves
// [SECTION] decode costs
// [SECTION] CSV
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

// --- [SECTION] the grid of plots ---------------------------------------------------------

struct Curve {
  explicit Curve(std::string l) : label(std::move(l)) {}
  std::string label;
  std::vector<double> xs, ys;
  ImU32 colour = 0;
  draw::PlotStyle style = {};
  const char* format = "%.4g";             // of the hover tooltip's value
  double smoothing = -1;                   // >= 0: draw smoothed, the raw curve faint behind
  std::vector<double> extra_xs, extra_ys;  // a second series (eval losses), dots
};

// Four plots in a 2 x 2 grid, the current step marked, a hovered point's exact
// value in a tooltip. Returns the plots' ranges (for marks drawn on top).
std::vector<draw::PlotRange> draw_grid(const std::vector<Curve>& curves, double marker_x) {
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Dummy(avail);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float gap = 8.0f;
  const float w = (avail.x - gap) / 2, h = (avail.y - gap) / 2;
  std::vector<draw::PlotRange> ranges;
  for (size_t i = 0; i < curves.size() && i < 4; ++i) {
    const Curve& c = curves[i];
    const ImVec2 a(origin.x + (i % 2) * (w + gap), origin.y + (i / 2) * (h + gap));
    const ImVec2 b(a.x + w, a.y + h);
    const auto r =
        draw::plot_frame(dl, a, b, c.label, {&c.xs, &c.extra_xs}, {&c.ys, &c.extra_ys}, c.style);
    if (c.smoothing >= 0 && c.xs.size() > 2) {
      draw::plot_line(dl, r, c.xs, c.ys, theme::with_alpha(c.colour, 0.25f), 1.0f);
      draw::plot_line(dl, r, c.xs, draw::smooth(c.ys, c.smoothing), c.colour, 2.0f);
    } else {
      draw::plot_line(dl, r, c.xs, c.ys, c.colour, 1.5f, c.style.dots);
    }
    for (size_t j = 0; j < c.extra_xs.size(); ++j)
      // Hollow rings in the curve's colour: white is the cursor's alone.
      dl->AddCircle(r.at(c.extra_xs[j], c.extra_ys[j]), 4.0f, c.colour, 0, 2.0f);
    ranges.push_back(r);
    if (c.xs.empty()) continue;
    if (marker_x >= 0) r.marker(dl, marker_x, theme::with_alpha(theme::cursor(), 0.5f));
    const int hovered = draw::hovered_point(r, c.xs);
    if (hovered >= 0) {
      dl->AddCircle(r.at(c.xs[hovered], c.ys[hovered]), 5.0f, theme::cursor(), 0, 1.5f);
      ImGui::BeginTooltip();
      ImGui::Text("step %.0f", c.xs[hovered]);
      ImGui::TextColored(theme::vec(theme::text_dim()), "%s:", c.label.c_str());
      ImGui::SameLine();
      ImGui::Text(c.format, c.ys[hovered]);
      if (c.smoothing >= 0) {
        ImGui::SameLine();
        ImGui::TextColored(theme::vec(theme::text_dim()), "(smoothed %.4g)",
                           draw::smooth(c.ys, c.smoothing)[hovered]);
      }
      ImGui::EndTooltip();
    }
  }
  return ranges;
}

}  // namespace

// --- [SECTION] draw: training or decode costs -------------------------------------------------

std::string TrainingView::subtitle(const ViewContext& ctx) const {
  const RunData& run = *ctx.run;
  if (run.is_training())
    return std::to_string(run.train_steps.size()) + " records" +
           (run.settings_summary.empty() ? "" : " · mask: " + run.settings_summary);
  if (run.decode_steps.empty()) return "this run recorded no training or decode steps";
  std::string s = std::to_string(run.decode_steps.size()) + " steps · " + run.baseline;
  if (run.quality.has_coverage()) {
    char text[64];
    std::snprintf(text, sizeof text, " · mean mass covered %.3f", run.quality.mean_coverage);
    s += text;
  }
  if (run.quality.knows_answer())
    s += " · answer's chunk unfolded at " + std::to_string(run.quality.answer_unfolded) + " of " +
         std::to_string(run.quality.answer_steps) + " steps";
  return s;
}

void TrainingView::draw(ViewContext& ctx) {
  if (ctx.run->is_training())
    draw_training(ctx);
  else if (!ctx.run->decode_steps.empty())
    draw_decode_costs(ctx);
  else
    draw::dim_text("This run recorded no training or decode steps.");
}

// --- [SECTION] training curves ---------------------------------------------------------------

void TrainingView::draw_training(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  ImGui::SetNextItemWidth(180);
  ImGui::SliderFloat("smoothing", &smoothing_, 0.0f, 0.99f, "%.2f");
  ImGui::SameLine();
  draw::dim_text("(a moving average as TensorBoard's; the raw curve is drawn faint behind)");
  // Training curves have no SSA meaning: one neutral colour (see theme.h).
  Curve loss("loss (train: line; held-out eval: rings)"), lr("learning rate"), tps("tokens / s"),
      grad("gradient norm");
  for (Curve* c : {&loss, &lr, &tps, &grad}) c->colour = theme::metric(), c->smoothing = smoothing_;
  lr.smoothing = -1;  // a schedule, not a noisy measurement
  for (const auto& s : run.train_steps) {
    const double x = static_cast<double>(s.step);
    if (s.is_eval) {
      loss.extra_xs.push_back(x), loss.extra_ys.push_back(s.loss);
      continue;
    }
    loss.xs.push_back(x), loss.ys.push_back(s.loss);
    lr.xs.push_back(x), lr.ys.push_back(s.learning_rate);
    tps.xs.push_back(x), tps.ys.push_back(s.tokens_per_second);
    grad.xs.push_back(x), grad.ys.push_back(s.grad_norm);
  }
  draw_grid({loss, lr, tps, grad}, -1);
}

// --- [SECTION] decode costs -----------------------------------------------------------------

void TrainingView::draw_decode_costs(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  const auto& steps = run.decode_steps;
  // Step 0 carries the prefill: shown apart so later steps keep their scale.
  const bool prefill_apart = steps.size() > 1;
  char ms_label[160];
  if (prefill_apart)
    std::snprintf(ms_label, sizeof ms_label,
                  "ms per decode step (step %lld with the prefill: %.0f ms, left out)",
                  static_cast<long long>(steps.front().step), steps.front().seconds * 1e3);
  else
    std::snprintf(ms_label, sizeof ms_label, "ms per step (with the prefill)");
  Curve ms(ms_label), scored("keys scored per step"), read("keys read per step");
  Curve coverage(run.quality.answer_unfolded > 0
                     ? "full-attention mass covered; \xE2\x96\xB2 the answer's chunk unfolded"
                     : "full-attention mass covered by the unfolded chunks");
  for (Curve* c : {&ms, &scored, &read}) c->colour = theme::metric(), c->style.dots = true;
  coverage.colour = theme::coverage();
  coverage.style.dots = true;
  scored.format = read.format = "%.0f";
  coverage.style.y_min = 0;
  coverage.style.y_max = ctx.coverage_top;
  const std::string zoom = draw::zoom_label(ctx.coverage_top);
  if (!zoom.empty()) coverage.style.zoom_note = zoom.c_str();
  coverage.style.empty_note = run.quality.baseline == "full"
                                  ? "full attention reads every key: nothing to cover"
                              : run.quality.shadow_full ? "not measured at any step"
                                                        : "not measured: record with --shadow-full";
  std::vector<double> answer_steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    const double x = static_cast<double>(s.step);
    if (!prefill_apart || i > 0) ms.xs.push_back(x), ms.ys.push_back(s.seconds * 1e3);
    scored.xs.push_back(x), scored.ys.push_back(static_cast<double>(s.keys_scored));
    read.xs.push_back(x), read.ys.push_back(static_cast<double>(s.keys_read));
    if (s.full_mass_coverage >= 0)
      coverage.xs.push_back(x), coverage.ys.push_back(s.full_mass_coverage);
    if (s.answer_unfolded > 0) answer_steps.push_back(x);
  }
  // Every plot spans every step, so that the current-step markers line up.
  for (Curve* c : {&ms, &scored, &read, &coverage})
    c->style.x_min = static_cast<double>(steps.front().step),
    c->style.x_max = static_cast<double>(steps.back().step);
  const auto ranges = draw_grid({ms, scored, read, coverage}, static_cast<double>(ctx.state.step));
  if (ranges.size() == 4 && !coverage.xs.empty()) {
    const draw::PlotRange& r = ranges[3];
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (double x : answer_steps) {
      if (!r.contains_x(x)) continue;
      const float sx = r.x.at(x);
      dl->AddTriangleFilled(ImVec2(sx, r.area_max.y - 8), ImVec2(sx - 4, r.area_max.y),
                            ImVec2(sx + 4, r.area_max.y), theme::chosen());
    }
  }
}

// --- [SECTION] CSV --------------------------------------------------------------------------

void TrainingView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  const RunData& run = *ctx.run;
  if (run.is_training()) {
    out << "step,is_eval,loss,loss_smoothed,learning_rate,tokens_per_second,grad_norm\n";
    std::vector<double> train;
    for (const auto& s : run.train_steps)
      if (!s.is_eval) train.push_back(s.loss);
    const auto smoothed = draw::smooth(train, smoothing_);
    size_t i = 0;
    for (const auto& s : run.train_steps) {
      out << s.step << "," << s.is_eval << "," << s.loss << ",";
      if (!s.is_eval && i < smoothed.size()) out << smoothed[i++];
      out << "," << s.learning_rate << "," << s.tokens_per_second << "," << s.grad_norm << "\n";
    }
    return;
  }
  out << "step,token_id,ms,keys_scored,keys_read,full_mass_coverage,answer_unfolded\n";
  for (const auto& s : run.decode_steps)
    out << s.step << "," << s.token_id << "," << s.seconds * 1e3 << "," << s.keys_scored << ","
        << s.keys_read << "," << s.full_mass_coverage << "," << s.answer_unfolded << "\n";
}

}  // namespace ssa::gui
