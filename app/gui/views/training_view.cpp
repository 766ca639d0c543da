// Training view: the curves a run recorded. Training runs: loss (train and
// eval), learning rate, tokens/s, gradient norm. Decode runs: seconds per
// step, keys scored, keys read and (with a full-attention shadow) the mass
// the chosen chunks cover, with the current step marked.
#include <imgui.h>

#include <algorithm>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

struct Curve {
  const char* label;
  std::vector<double> xs, ys;
  ImU32 colour;
  bool log_y = false;
};

void draw_grid(const std::vector<Curve>& curves, double marker_x) {
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Dummy(avail);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float gap = 8.0f;
  const float w = (avail.x - gap) / 2, h = (avail.y - gap) / 2;
  for (size_t i = 0; i < curves.size() && i < 4; ++i) {
    const ImVec2 a(origin.x + (i % 2) * (w + gap), origin.y + (i / 2) * (h + gap));
    const ImVec2 b(a.x + w, a.y + h);
    const auto r = draw::line_plot(dl, a, b, curves[i].xs, curves[i].ys, curves[i].colour,
                                   curves[i].label, curves[i].log_y);
    if (!curves[i].xs.empty()) r.marker(dl, marker_x, IM_COL32(255, 255, 255, 140));
  }
}

}  // namespace

void TrainingView::draw(ViewContext& ctx) {
  if (!ctx.run) return;
  const RunData& run = *ctx.run;
  if (!run.train_steps.empty()) {
    draw::title("Training",
                std::to_string(run.train_steps.size()) + " steps · mask: " + run.settings_summary);
    Curve loss{"loss (train)", {}, {}, theme::selected_path()};
    Curve lr{"learning rate", {}, {}, theme::gist_level(0)};
    Curve tps{"tokens / s", {}, {}, theme::unfolded()};
    Curve grad{"gradient norm", {}, {}, theme::gist_level(1)};
    Curve eval{"loss (eval)", {}, {}, theme::compare_b()};
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
    draw::title("Decode costs",
                std::to_string(run.decode_steps.size()) + " steps · " + run.settings_summary);
    Curve seconds{"milliseconds per step", {}, {}, theme::selected_path()};
    Curve scored{"keys scored per step", {}, {}, theme::gist_level(0)};
    Curve read{"keys read per step", {}, {}, theme::unfolded()};
    Curve coverage{"full-attention mass covered", {}, {}, theme::gist_level(1)};
    for (const auto& s : run.decode_steps) {
      const double x = static_cast<double>(s.step);
      seconds.xs.push_back(x), seconds.ys.push_back(s.seconds * 1e3);
      scored.xs.push_back(x), scored.ys.push_back(static_cast<double>(s.keys_scored));
      read.xs.push_back(x), read.ys.push_back(static_cast<double>(s.keys_read));
      if (s.full_mass_coverage >= 0)
        coverage.xs.push_back(x), coverage.ys.push_back(s.full_mass_coverage);
    }
    draw_grid({seconds, scored, read, coverage}, static_cast<double>(ctx.state.step));
    return;
  }
  draw::title("Training", "this run recorded no training or decode steps");
}

}  // namespace ssa::gui
