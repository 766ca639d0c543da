// The evaluation chart (see views.h): exact-match accuracy against context,
// one plot per task, one line per configuration (method, levels, k), the
// method's colour from the one palette and a marker shape per k. The
// Evaluation panel draws it live; `ssa-workbench chart` draws it offscreen.
//
// [SECTION] series
// [SECTION] markers and legend
// [SECTION] the chart
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

// --- [SECTION] series ------------------------------------------------------------------------

// The series of one task, in legend order; rows without an exact figure are left out.
using Series = EvalChart::Series;

std::vector<Series> series_of(const EvalResults& results, const std::string& task) {
  using Key = std::tuple<int, std::string, int32_t>;
  std::map<Key, Series> by_key;
  for (const auto& r : results.results) {
    if (r.config.task != task || !r.exact) continue;
    Series& s = by_key[Key{theme::method_rank(r.config.method), r.config.levels, r.config.k}];
    if (!s.config) s.config = &r.config;
    s.rows.push_back(&r);
  }
  std::vector<Series> out;
  for (auto& [key, s] : by_key) {
    std::sort(s.rows.begin(), s.rows.end(), [](const EvalResult* a, const EvalResult* b) {
      return a->config.context < b->config.context;
    });
    for (const EvalResult* r : s.rows) {
      s.x.push_back(std::log2(static_cast<double>(r->config.context)));
      s.y.push_back(*r->exact);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// "512", "4K", "1.5K", "2M": a context in bytes, short.
std::string context_label(int64_t bytes) {
  char text[32];
  if (bytes >= 1 << 20 && bytes % (1 << 20) == 0)
    std::snprintf(text, sizeof text, "%lldM", static_cast<long long>(bytes >> 20));
  else if (bytes >= 1024 && bytes % 512 == 0)
    std::snprintf(text, sizeof text, "%gK", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(bytes));
  return text;
}

// --- [SECTION] markers and legend -----------------------------------------------------------

void marker(ImDrawList* dl, ImVec2 c, int shape, ImU32 colour) {
  const float r = 4.5f;
  switch (shape % 4) {
    case 0:
      dl->AddCircleFilled(c, r, colour);
      break;
    case 1:
      dl->AddRectFilled(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), colour);
      break;
    case 2:
      dl->AddTriangleFilled(ImVec2(c.x, c.y - r - 1), ImVec2(c.x + r + 1, c.y + r),
                            ImVec2(c.x - r - 1, c.y + r), colour);
      break;
    default:
      dl->AddQuadFilled(ImVec2(c.x, c.y - r - 1), ImVec2(c.x + r + 1, c.y),
                        ImVec2(c.x, c.y + r + 1), ImVec2(c.x - r - 1, c.y), colour);
      break;
  }
}

// Every k of the folder, ascending: the marker of a k is its index here.
std::vector<int32_t> all_ks(const EvalResults& results) {
  std::vector<int32_t> ks;
  for (const auto& r : results.results) ks.push_back(r.config.k);
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

int shape_of(const std::vector<int32_t>& ks, int32_t k) {
  return static_cast<int>(std::lower_bound(ks.begin(), ks.end(), k) - ks.begin());
}

ImU32 colour_of(const EvalConfig& c) {
  return theme::method_colour(c.method, !c.levels.empty());
}

using LegendEntry = EvalChart::LegendEntry;

// Entries a legend column holds in `height` (below its title), at least one.
int legend_rows(float height) {
  const float h = ImGui::GetTextLineHeightWithSpacing();
  return std::max(1, static_cast<int>((height - 6 - h - 2) / h));
}

// One column's width; the legend is `columns` of them.
float legend_column_width(const std::vector<LegendEntry>& entries) {
  float w = 0;
  for (const auto& e : entries) w = std::max(w, ImGui::CalcTextSize(e.name.c_str()).x + 34);
  return w + 16;
}

// Top to bottom, then the next column: every entry shows, however short the chart.
void draw_legend(ImDrawList* dl, ImVec2 at, const std::vector<LegendEntry>& entries, int rows,
                 float column_w) {
  const float h = ImGui::GetTextLineHeightWithSpacing();
  dl->AddText(at, theme::text_dim(), "method (marker: k)");
  at.y += h + 2;
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const ImVec2 p(at.x + static_cast<float>(i / rows) * column_w,
                   at.y + static_cast<float>(i % rows) * h);
    const ImVec2 mid(p.x + 12, p.y + h * 0.45f);
    dl->AddLine(ImVec2(p.x, mid.y), ImVec2(p.x + 24, mid.y), e.colour, 2.0f);
    marker(dl, mid, e.shape, e.colour);
    dl->AddText(ImVec2(p.x + 32, p.y), theme::text(), e.name.c_str());
  }
}

}  // namespace

// --- [SECTION] the chart ----------------------------------------------------------------------

EvalChart make_eval_chart(const EvalResults& results) {
  EvalChart chart;
  chart.empty_note = results.results.empty() ? "results.csv has no rows"
                                             : "no row of results.csv has an exact figure";
  const auto ks = all_ks(results);
  for (const auto& task : results.tasks()) {
    EvalChart::Plot plot;
    plot.task = task;
    plot.series = series_of(results, task);
    for (const auto& s : plot.series) {
      for (const EvalResult* r : s.rows) plot.contexts.push_back(r->config.context);
      plot.shapes.push_back(shape_of(ks, s.config->k));
      const std::string name = s.config->series_name();
      if (std::none_of(chart.legend.begin(), chart.legend.end(),
                       [&](const LegendEntry& e) { return e.name == name; }))
        chart.legend.push_back({name, colour_of(*s.config), plot.shapes.back()});
    }
    std::sort(plot.contexts.begin(), plot.contexts.end());
    plot.contexts.erase(std::unique(plot.contexts.begin(), plot.contexts.end()),
                        plot.contexts.end());
    for (int64_t c : plot.contexts)
      plot.ticks.emplace_back(std::log2(static_cast<double>(c)), context_label(c));
    chart.plots.push_back(std::move(plot));
  }
  return chart;
}

void draw_eval_chart(ImDrawList* dl, ImVec2 min, ImVec2 max, const EvalChart& chart,
                     bool tooltips) {
  const auto& entries = chart.legend;
  if (chart.plots.empty() || entries.empty()) {
    dl->AddRectFilled(min, max, theme::panel_background(), 3.0f);
    draw::centered_note(dl, min, max, chart.empty_note.c_str());
    return;
  }
  const int legend_per_column = legend_rows(max.y - min.y);
  const int columns =
      (static_cast<int>(entries.size()) + legend_per_column - 1) / legend_per_column;
  const float column_w = legend_column_width(entries);
  const float legend_w =
      std::max(ImGui::CalcTextSize("method (marker: k)").x + 16, column_w * columns);
  const float plots_w = max.x - min.x - legend_w;
  draw_legend(dl, ImVec2(max.x - legend_w + 12, min.y + 6), entries, legend_per_column, column_w);
  // Small multiples: the tasks side by side, in rows of at most three.
  const int tasks = static_cast<int>(chart.plots.size());
  const int per_row = std::min<int>(3, tasks);
  const int rows = (tasks + per_row - 1) / per_row;
  const float gap = 8, cell_w = (plots_w - gap * (per_row - 1)) / per_row,
              cell_h = (max.y - min.y - gap * (rows - 1)) / rows;
  for (int t = 0; t < tasks; ++t) {
    const EvalChart::Plot& plot = chart.plots[static_cast<size_t>(t)];
    const int col = t % per_row, row = t / per_row;
    const ImVec2 a(min.x + col * (cell_w + gap), min.y + row * (cell_h + gap));
    const ImVec2 b(a.x + cell_w, a.y + cell_h);
    const auto& series = plot.series;
    const auto& contexts = plot.contexts;
    const auto& ticks = plot.ticks;
    std::vector<const std::vector<double>*> xs, ys;
    for (const auto& s : series) xs.push_back(&s.x), ys.push_back(&s.y);
    draw::PlotStyle style;
    style.y_min = 0, style.y_max = 1;
    style.integer_x = false;
    style.x_ticks = &ticks;
    style.x_title = "context (model tokens, log scale; bytes for byte-level models)";
    // A little room either side, so that the first and last markers show whole.
    const double lo = std::log2(static_cast<double>(contexts.front())),
                 hi = std::log2(static_cast<double>(contexts.back()));
    const double pad = std::max(0.25, (hi - lo) * 0.05);
    style.x_min = lo - pad, style.x_max = hi + pad;
    const draw::PlotRange r = draw::plot_frame(
        dl, a, b, "exact match (share of examples) \xC2\xB7 task " + plot.task, xs, ys, style);
    // Series that score alike would hide one another: each is drawn a few
    // pixels to the side of its context, so coincident points stand side by
    // side; y stays exact. In pixels, not in context: with one context the
    // axis spans half an octave, and a dodge in octaves would read as
    // another context.
    const float dodge_px = std::min(7.0f, 0.3f * (r.area_max.x - r.area_min.x) /
                                              std::max<float>(1.0f, ticks.size() * series.size()));
    const double dodge = dodge_px * (r.x.v1 - r.x.v0) / (r.x.a1 - r.x.a0);
    std::vector<std::vector<double>> shifted(series.size());
    for (size_t i = 0; i < series.size(); ++i) {
      const double by = (static_cast<double>(i) - (series.size() - 1) / 2.0) * dodge;
      for (double x : series[i].x) shifted[i].push_back(x + by);
    }
    for (size_t i = 0; i < series.size(); ++i) {
      const auto& s = series[i];
      const ImU32 colour = colour_of(*s.config);
      draw::plot_line(dl, r, shifted[i], s.y, colour, 2.0f);
      for (size_t j = 0; j < s.x.size(); ++j)
        marker(dl, r.at(shifted[i][j], s.y[j]), plot.shapes[i], colour);
    }
    if (!tooltips || !ImGui::IsWindowHovered()) continue;
    // The nearest point under the mouse: its figures.
    const ImVec2 m = ImGui::GetIO().MousePos;
    const EvalResult* best = nullptr;
    float best_d = 12.0f;
    for (size_t i = 0; i < series.size(); ++i)
      for (size_t j = 0; j < series[i].x.size(); ++j) {
        const ImVec2 p = r.at(shifted[i][j], series[i].y[j]);
        const float d = std::hypot(p.x - m.x, p.y - m.y);
        if (d < best_d) best_d = d, best = series[i].rows[j];
      }
    if (!best) continue;
    ImGui::BeginTooltip();
    ImGui::Text("%s, task %s, context %lld tokens", best->config.series_name().c_str(),
                best->config.task.c_str(), static_cast<long long>(best->config.context));
    ImGui::Text("exact %.3f over %lld examples", *best->exact, static_cast<long long>(best->n));
    if (best->char_accuracy) ImGui::Text("characters right %.3f", *best->char_accuracy);
    if (best->compression) ImGui::Text("compression %.1fx", *best->compression);
    ImGui::EndTooltip();
  }
}

}  // namespace ssa::gui
