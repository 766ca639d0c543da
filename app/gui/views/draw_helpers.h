// Drawing helpers shared by the views: notes and labels that never truncate
// into ambiguity, axes with numbered ticks, line plots with axes, a colour
// bar, the one legend, and the step lane (the decode steps as a strip of
// cells: answer unfolded, mass covered).
#pragma once

#include <imgui.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/gui/core/key_queue.h"
#include "app/gui/core/theme.h"
#include "app/gui/model/run_data.h"

namespace ssa::gui::draw {

// --- text ---------------------------------------------------------------------
// Centred text inside a rectangle ("loading...", "no data"); nothing when it does not fit.
void centered_note(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::string& text,
                   ImU32 colour = theme::text_dim());
// Draws the first of `candidates` (longest first) that fits inside [min, max]
// whole, at its top-left; returns false when none fits (the caller leaves the
// box unlabelled and says it in the tooltip). Never clips a label.
bool fitted_text(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::vector<std::string>& candidates,
                 ImU32 colour, ImFont* font = nullptr);
// Keeps the next item on this line when `width` pixels still fit, else starts a new line.
void same_line_if_fits(float width);
// A dim line of text in the current window.
void dim_text(const std::string& text);

// A modal dialog centred in the window, at most `size` (a height of 0 fits
// the content); Escape closes it.
// Returns whether to draw its content (then end_dialog()).
bool begin_dialog(const char* name, bool* open, KeyQueue& keys, ImVec2 size);
void end_dialog(bool* open);

// --- axes ---------------------------------------------------------------------
// About `max_ticks` round values (1, 2, 5 x 10^k apart) in [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int max_ticks, bool integers);
// A tick's label: thousands kept whole ("12,800"), small values with the digits the step needs.
std::string tick_label(double value, double step);
// An integer's digits in groups of three: 4096 -> "4,096", -4096 -> minus + "4,096".
std::string grouped_digits(int64_t n, const char* minus = "-");

// A linear axis: screen coordinates a0..a1 show values v0..v1 (either may be larger).
struct Axis {
  float a0 = 0, a1 = 1;
  double v0 = 0, v1 = 1;
  bool integers = false;
  float at(double v) const { return a0 + static_cast<float>((v - v0) / (v1 - v0)) * (a1 - a0); }
};
// Ticks and labels: below a horizontal axis at y, above it, left of a vertical axis at x.
void axis_below(ImDrawList* dl, const Axis& x_axis, float y, const char* title = nullptr);
void axis_above(ImDrawList* dl, const Axis& x_axis, float y, const char* title = nullptr);
void axis_left(ImDrawList* dl, const Axis& y_axis, float x, const char* title = nullptr);
// Room a left axis needs for labels up to `largest` in magnitude.
float left_axis_width(double largest);

// --- plots --------------------------------------------------------------------
struct PlotRange {
  Axis x, y;                  // y in log10 when the plot is logarithmic
  ImVec2 area_min, area_max;  // the plotting area inside the frame
  bool log_y = false;
  ImVec2 at(double xv, double yv) const {
    return ImVec2(x.at(xv), y.at(log_y ? std::log10(std::max(yv, 1e-12)) : yv));
  }
  bool contains_x(double xv) const {
    return xv >= std::min(x.v0, x.v1) && xv <= std::max(x.v0, x.v1);
  }
  // A vertical marker at x (the current step), when inside the range.
  void marker(ImDrawList* dl, double xv, ImU32 colour) const;
};
struct PlotStyle {
  bool log_y = false;
  double y_min = NAN, y_max = NAN;  // a fixed y range (both set), else the data's
  double x_min = NAN, x_max = NAN;  // a fixed x range (both set), else the data's
  bool dots = false;                // a dot on every point (few points)
  bool integer_x = true;            // steps
  const char* x_title = "step";
  const char* empty_note = nullptr;  // shown when there are no points
  const char* zoom_note = nullptr;   // said on the frame when the y axis is a zoom
  // Labelled x ticks instead of numbered ones (a log axis: the values are
  // where the data are, the labels what they stand for); null: numbered.
  const std::vector<std::pair<double, std::string>>* x_ticks = nullptr;
};
// The frame: background, label, grid, numbered axes; returns where data go.
PlotRange plot_frame(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::string& label,
                     const std::vector<const std::vector<double>*>& xs,
                     const std::vector<const std::vector<double>*>& ys, const PlotStyle& style);
// A polyline (min/max per pixel column when there are more points than pixels).
void plot_line(ImDrawList* dl, const PlotRange& r, const std::vector<double>& xs,
               const std::vector<double>& ys, ImU32 colour, float thickness = 1.5f,
               bool dots = false);
// plot_frame() with one series drawn.
PlotRange line_plot(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::vector<double>& xs,
                    const std::vector<double>& ys, ImU32 colour, const std::string& label,
                    const PlotStyle& style = {});
// Index of the point whose x is nearest the mouse when it is over the plot area, else -1.
int hovered_point(const PlotRange& r, const std::vector<double>& xs);
// TensorBoard's smoothing: an exponential moving average, debiased at the start.
std::vector<double> smooth(const std::vector<double>& ys, double weight);

// The top of a 0-based axis for shares (coverage): 1, or the smallest of
// 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5 above the largest value with
// some headroom. Every view uses one such scale (ViewContext::coverage_top)
// and marks it as a zoom when it is below 1.
double share_axis_max(double largest);
// "zoom: 0-0.2 of 1" for a share axis topped at `top` < 1, "" at 1.
std::string zoom_label(double top);

// --- colour bar and legend ------------------------------------------------------
// A vertical ramp of theme::score_colour (high at the top) with ticks 0, 0.5,
// 1 and their labels to the right.
void colour_bar(ImDrawList* dl, ImVec2 min, ImVec2 max);
// The legend: one swatch and label per meaning, wrapping at the window's width.
void legend(const std::vector<theme::Meaning>& meanings);

// --- decode steps ---------------------------------------------------------------
// A step lane: the steps [first, last] of `run` along one axis of [min, max]
// (x, or y when vertical), each step (or pixel bin of steps) showing the
// full-attention mass its unfolded chunks covered as a bar (0..coverage_top
// across the other axis) and a mark where the answer's chunk was unfolded.
// Hovering shows the exact values; returns the step clicked, -1 when none.
struct StepLane {
  const RunData* run = nullptr;
  int64_t first = 0, last = -1;
  int64_t current = -1;  // outlined in the cursor colour, -1 none
  bool vertical = false;
  const char* empty_note = nullptr;  // shown when no step has either value
  bool coverage_bars = true;  // false: the answer marks take the whole lane (nothing measured)
  double coverage_top = 1.0;  // the coverage a full bar stands for
};
int64_t step_lane(ImDrawList* dl, ImVec2 min, ImVec2 max, const StepLane& lane);
// The tooltip lines of one step of a run (token, coverage, answer, keys).
void step_tooltip(const RunData& run, int64_t step);

}  // namespace ssa::gui::draw
