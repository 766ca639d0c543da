// Training view: the curves a run recorded. Training runs: loss (train and
// eval), learning rate, tokens/s, gradient norm. Decode runs: seconds per
// step, keys scored, keys read and (with a full-attention shadow) the mass
// the unfolded chunks cover, the steps that unfolded the answer chunk marked
// on it; the current step marked, exact values on hover.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

struct Curve {
  const char* label;
  std::vector<double> xs, ys;
  ImU32 colour;
  draw::PlotStyle style = {};
  const char* format = "%.4g";  // of the hover tooltip's value
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
    const auto r = draw::line_plot(dl, a, b, c.xs, c.ys, c.colour, c.label, c.style);
    ranges.push_back(r);
    if (c.xs.empty()) continue;
    if (marker_x >= 0) r.marker(dl, marker_x, IM_COL32(255, 255, 255, 140));
    const int hovered = draw::hovered_point(r, c.xs);
    if (hovered >= 0) {
      dl->AddCircle(r.at(c.xs[hovered], c.style.log_y ? std::log10(std::max(c.ys[hovered], 1e-12))
                                                      : c.ys[hovered]),
                    5.0f, IM_COL32(255, 255, 255, 220), 0, 1.5f);
      ImGui::BeginTooltip();
      ImGui::Text("step %.0f", c.xs[hovered]);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "%s:", c.label);
      ImGui::SameLine();
      ImGui::Text(c.format, c.ys[hovered]);
      ImGui::EndTooltip();
    }
  }
  return ranges;
}

bool answer_steps_known(const RunData& run) {
  return run.quality.answer_unfolded > 0;
}

}  // namespace

void TrainingView::draw(ViewContext& ctx) {
  if (!ctx.run) return;
  const RunData& run = *ctx.run;
  if (!run.train_steps.empty()) {
    draw::title("Training",
                std::to_string(run.train_steps.size()) + " steps · mask: " + run.settings_summary);
    // Training curves have no SSA meaning: one neutral colour (see theme.h).
    Curve loss{"loss (train)", {}, {}, theme::metric()};
    Curve lr{"learning rate", {}, {}, theme::metric()};
    Curve tps{"tokens / s", {}, {}, theme::metric()};
    Curve grad{"gradient norm", {}, {}, theme::metric()};
    Curve eval{"loss (eval)", {}, {}, theme::metric()};
    for (const auto& s : run.train_steps) {
      const double x = static_cast<double>(s.step);
      if (s.is_eval) {
        eval.xs.push_back(x), eval.ys.push_back(s.loss);
        continue;
      }
      loss.xs.push_back(x), loss.ys.push_back(s.loss);
      lr.xs.push_back(x), lr.ys.push_back(s.learning_rate);
      tps.xs.push_back(x), tps.ys.push_back(s.tokens_per_second);
      grad.xs.push_back(x), grad.ys.push_back(s.grad_norm);
    }
    draw_grid({loss, eval.xs.empty() ? lr : eval, tps, eval.xs.empty() ? grad : lr}, -1);
    return;
  }
  if (!run.decode_steps.empty()) {
    const summary::DecodeSummary& q = run.quality;
    std::string subtitle = std::to_string(run.decode_steps.size()) + " steps · " + run.baseline;
    if (!run.settings_summary.empty()) subtitle += " · " + run.settings_summary;
    if (q.has_coverage()) {
      char text[64];
      std::snprintf(text, sizeof text, " · mean coverage %.3f", q.mean_coverage);
      subtitle += text;
    }
    if (q.knows_answer())
      subtitle += " · answer unfolded at " + std::to_string(q.answer_unfolded) + " of " +
                  std::to_string(q.answer_steps) + " steps";
    draw::title("Decode costs", subtitle);
    Curve seconds{"milliseconds per step", {}, {}, theme::metric()};
    Curve scored{"keys scored per step", {}, {}, theme::metric()};
    Curve read{"keys read per step", {}, {}, theme::metric()};
    Curve coverage{answer_steps_known(run) ? "full-attention mass covered by the unfolded chunks; "
                                             "\u25B2 answer chunk unfolded"
                                           : "full-attention mass covered by the unfolded chunks",
                   {},
                   {},
                   theme::coverage()};
    scored.format = read.format = "%.0f";
    coverage.style.y_min = 0;
    coverage.style.y_max = draw::share_axis_max(q.max_coverage);
    coverage.style.empty_note = q.baseline == "full"
                                    ? "full attention reads every key: nothing to cover"
                                : q.shadow_full ? "not measured at any step"
                                                : "not measured: record with --shadow-full";
    std::vector<double> answer_steps;
    for (const auto& s : run.decode_steps) {
      const double x = static_cast<double>(s.step);
      seconds.xs.push_back(x), seconds.ys.push_back(s.seconds * 1e3);
      scored.xs.push_back(x), scored.ys.push_back(static_cast<double>(s.keys_scored));
      read.xs.push_back(x), read.ys.push_back(static_cast<double>(s.keys_read));
      if (s.full_mass_coverage >= 0)
        coverage.xs.push_back(x), coverage.ys.push_back(s.full_mass_coverage);
      if (s.answer_unfolded > 0) answer_steps.push_back(x);
    }
    for (Curve* c : {&seconds, &scored, &read, &coverage}) c->style.dots = true;
    const auto ranges = draw_grid({seconds, scored, read, coverage}, ctx.state.step);
    // Steps that unfolded the answer chunk: answer-coloured ticks along the
    // coverage plot's bottom edge.
    if (ranges.size() == 4 && !coverage.xs.empty()) {
      const draw::PlotRange& r = ranges[3];
      ImDrawList* dl = ImGui::GetWindowDrawList();
      for (double x : answer_steps) {
        if (x < r.x0 || x > r.x1) continue;
        const float sx = r.at(x, r.y0).x;
        dl->AddTriangleFilled(ImVec2(sx, r.area_max.y - 7), ImVec2(sx - 4, r.area_max.y),
                              ImVec2(sx + 4, r.area_max.y), theme::answer());
      }
    }
    return;
  }
  draw::title("Training", "this run recorded no training or decode steps");
}

}  // namespace ssa::gui
