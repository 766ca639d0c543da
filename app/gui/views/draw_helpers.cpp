// Drawing helpers shared by the views (titles, notes, legend swatches, line plots).
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui::draw {

void title(const char* text, const std::string& subtitle) {
  ImGui::PushFont(theme::fonts().title);
  ImGui::TextUnformatted(text);
  ImGui::PopFont();
  if (!subtitle.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "%s", subtitle.c_str());
  }
}

void centered_note(ImDrawList* dl, ImVec2 min, ImVec2 max, const char* text) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  dl->AddText(ImVec2((min.x + max.x - size.x) / 2, (min.y + max.y - size.y) / 2), theme::text_dim(),
              text);
}

void swatch(ImU32 colour, const char* label) {
  const float h = ImGui::GetTextLineHeight();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.2f),
                                            ImVec2(p.x + h * 0.9f, p.y + h * 0.8f), colour, 3.0f);
  ImGui::Dummy(ImVec2(h * 0.9f, h));
  ImGui::SameLine(0, 4);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "%s", label);
}

void PlotRange::marker(ImDrawList* dl, double x, ImU32 colour) const {
  if (x < x0 || x > x1) return;
  const float sx = at(x, y0).x;
  dl->AddLine(ImVec2(sx, area_min.y), ImVec2(sx, area_max.y), colour);
}

PlotRange line_plot(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::vector<double>& xs,
                    const std::vector<double>& ys, ImU32 colour, const char* label,
                    const PlotStyle& style) {
  const bool log_y = style.log_y;
  const float font = ImGui::GetFontSize();
  PlotRange r{
      0, 1, 0, 1, ImVec2(min.x + 52, min.y + font * 1.7f + 6), ImVec2(max.x - 8, max.y - font - 6)};
  dl->AddRectFilled(min, max, theme::panel_background(), 3.0f);
  dl->AddText(ImVec2(min.x + 6, min.y + 3), theme::text_dim(), label);
  if (xs.empty() || xs.size() != ys.size()) {
    centered_note(
        dl, min, max,
        style.empty_note ? style.empty_note : "not recorded (or never scored) in this run");
    return r;
  }
  auto fy = [&](double y) { return log_y ? std::log10(std::max(y, 1e-12)) : y; };
  r.x0 = *std::min_element(xs.begin(), xs.end());
  r.x1 = *std::max_element(xs.begin(), xs.end());
  r.y0 = INFINITY;
  r.y1 = -INFINITY;
  for (double y : ys)
    if (std::isfinite(fy(y))) r.y0 = std::min(r.y0, fy(y)), r.y1 = std::max(r.y1, fy(y));
  if (!std::isfinite(r.y0)) r.y0 = 0, r.y1 = 1;
  if (r.x1 <= r.x0) r.x1 = r.x0 + 1;
  if (r.y1 <= r.y0) r.y0 -= 0.5, r.y1 += 0.5;
  const double pad = (r.y1 - r.y0) * 0.08;
  const bool non_negative = r.y0 >= 0 && !log_y;
  r.y0 -= pad;
  r.y1 += pad;
  if (non_negative) r.y0 = std::max(r.y0, 0.0);  // costs and counts never dip below zero
  if (std::isfinite(style.y_min) && std::isfinite(style.y_max) && style.y_max > style.y_min)
    r.y0 = fy(style.y_min), r.y1 = fy(style.y_max);
  // Plot area leaves room for the label line and the axis numbers.
  const ImVec2 a = r.area_min, b = r.area_max;
  if (b.x <= a.x || b.y <= a.y) return r;
  auto px = [&](double x) {
    return a.x + static_cast<float>((x - r.x0) / (r.x1 - r.x0)) * (b.x - a.x);
  };
  auto py = [&](double y) {
    return b.y - static_cast<float>((fy(y) - r.y0) / (r.y1 - r.y0)) * (b.y - a.y);
  };
  for (int i = 0; i <= 2; ++i) {
    const double v = r.y0 + (r.y1 - r.y0) * i / 2.0;
    const float y = b.y - (b.y - a.y) * i / 2.0f;
    dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), theme::with_alpha(theme::grid(), 0.6f));
    char text[32];
    const double shown = log_y ? std::pow(10.0, v) : v;
    std::snprintf(text, sizeof text, std::abs(shown) >= 1000 ? "%.0f" : "%.3g", shown);
    // A short plot labels only its top and bottom lines, so labels never overlap.
    if (i == 1 && b.y - a.y < 3.2f * font) continue;
    dl->AddText(ImVec2(min.x + 4, y - font / 2), theme::text_dim(), text);
  }
  char x0[32], x1[32];
  std::snprintf(x0, sizeof x0, "%.0f", r.x0);
  std::snprintf(x1, sizeof x1, "%.0f", r.x1);
  dl->AddText(ImVec2(a.x, b.y + 3), theme::text_dim(), x0);
  dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(x1).x, b.y + 3), theme::text_dim(), x1);
  // Downsample to about one point per pixel column (min/max kept) so long runs stay cheap.
  const size_t n = xs.size();
  const size_t columns = static_cast<size_t>(std::max(2.0f, b.x - a.x));
  if (n <= columns * 2) {
    std::vector<ImVec2> points(n);
    for (size_t i = 0; i < n; ++i) points[i] = ImVec2(px(xs[i]), py(ys[i]));
    dl->AddPolyline(points.data(), static_cast<int>(n), colour, 0, 1.5f);
  } else {
    std::vector<ImVec2> points;
    points.reserve(columns * 2);
    for (size_t c = 0; c < columns; ++c) {
      const size_t i0 = c * n / columns, i1 = std::max(i0 + 1, (c + 1) * n / columns);
      double lo = INFINITY, hi = -INFINITY;
      for (size_t i = i0; i < i1; ++i) lo = std::min(lo, ys[i]), hi = std::max(hi, ys[i]);
      points.emplace_back(px(xs[i0]), py(lo));
      points.emplace_back(px(xs[i0]), py(hi));
    }
    dl->AddPolyline(points.data(), static_cast<int>(points.size()), colour, 0, 1.5f);
  }
  if (style.dots && n <= columns / 4)
    for (size_t i = 0; i < n; ++i) dl->AddCircleFilled(ImVec2(px(xs[i]), py(ys[i])), 3.0f, colour);
  return r;
}

double share_axis_max(double largest) {
  for (double top : {0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5})
    if (largest * 1.1 <= top) return top;
  return 1.0;
}

int hovered_point(const PlotRange& r, const std::vector<double>& xs) {
  if (xs.empty() || !ImGui::IsWindowHovered()) return -1;
  const ImVec2 m = ImGui::GetIO().MousePos;
  if (m.x < r.area_min.x - 6 || m.x > r.area_max.x + 6 || m.y < r.area_min.y - 6 ||
      m.y > r.area_max.y + 6)
    return -1;
  int best = -1;
  float best_d = INFINITY;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float d = std::abs(r.at(xs[i], r.y0).x - m.x);
    if (d < best_d) best_d = d, best = static_cast<int>(i);
  }
  return best;
}

void same_line_if_fits(float width) {
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
}

void step_tooltip(const RunData& run, int64_t step) {
  const ImVec4 dim = ImGui::ColorConvertU32ToFloat4(theme::text_dim());
  const sessions::DecodeStepRecord* d = summary::find_step(run.decode_steps, step);
  std::string token;
  if (d)
    for (char ch : d->text) token += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  ImGui::Text("step %lld", static_cast<long long>(step));
  if (d) {
    ImGui::SameLine();
    ImGui::TextColored(dim, "produced");
    ImGui::SameLine();
    ImGui::PushFont(theme::fonts().mono);
    ImGui::Text("\"%s\"", token.c_str());
    ImGui::PopFont();
  }
  if (!d) {
    ImGui::TextColored(dim, "no decode record for this step");
    return;
  }
  if (d->full_mass_coverage >= 0) {
    swatch(theme::coverage(), "");
    ImGui::SameLine(0, 0);
    ImGui::Text("full-attention mass covered: %.4f", d->full_mass_coverage);
  } else {
    ImGui::TextColored(dim, "%s",
                       run.quality.baseline == "full"
                           ? "full attention reads every key (nothing to cover)"
                       : run.quality.shadow_full
                           ? "full-attention mass: not measured at this step"
                           : "full-attention mass: not measured (record with --shadow-full)");
  }
  if (d->answer_unfolded > 0) {
    swatch(theme::answer(), "");
    ImGui::SameLine(0, 0);
    ImGui::TextUnformatted("answer chunk unfolded (by at least one layer and head)");
  } else if (d->answer_unfolded == 0) {
    ImGui::TextUnformatted("answer chunk not unfolded by any layer or head");
  } else {
    ImGui::TextColored(dim, "answer chunk: unknown for this run");
  }
  ImGui::TextColored(dim, "keys read %lld, scored %lld, %.2f ms",
                     static_cast<long long>(d->keys_read), static_cast<long long>(d->keys_scored),
                     d->seconds * 1e3);
}

int64_t step_lane(ImDrawList* dl, ImVec2 min, ImVec2 max, const StepLane& lane) {
  dl->AddRectFilled(min, max, theme::panel_background(), 2.0f);
  const int64_t count = lane.last - lane.first + 1;
  if (!lane.run || count <= 0) return -1;
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
  const ImU32 not_unfolded = theme::with_alpha(theme::text_dim(), 0.35f);
  bool any = false;
  for (const summary::StepBin& bin : summary::bin_steps(run.decode_steps, lane.first, lane.last,
                                                        std::max(1, static_cast<int>(along)))) {
    const float s0 = pos(bin.first);
    // Cells at least one pixel wide; a gap between them when they are wide.
    const float s1 = std::max(pos(bin.last + 1) - (count * 6 <= along ? 1.0f : 0.0f), s0 + 1.0f);
    if (bin.answer() >= 0) {
      // Horizontal lanes carry the mark on top, vertical ones on the left.
      const ImU32 colour = bin.answer() > 0 ? theme::answer() : not_unfolded;
      if (v)
        dl->AddRectFilled(ImVec2(c0, s0), ImVec2(c0 + mark, s1), colour);
      else
        dl->AddRectFilled(ImVec2(s0, c0), ImVec2(s1, c0 + mark), colour);
    }
    if (bin.coverage >= 0 && bar_len > 0) {
      // A faint track for the whole 0..1 range, the covered share solid.
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
    const ImU32 white = IM_COL32(255, 255, 255, 200);
    if (v)
      dl->AddRect(ImVec2(min.x, s0 - 1), ImVec2(max.x, s1 + 1), white);
    else
      dl->AddRect(ImVec2(s0 - 1, min.y), ImVec2(s1 + 1, max.y), white);
  }
  if (!ImGui::IsWindowHovered() || !ImGui::IsMouseHoveringRect(min, max)) return -1;
  const ImVec2 m = ImGui::GetIO().MousePos;
  const float t = ((v ? m.y : m.x) - a0) / along;
  const int64_t step =
      lane.first + std::clamp<int64_t>(static_cast<int64_t>(t * count), 0, count - 1);
  ImGui::BeginTooltip();
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "%s (%s)",
                     run.info.name.c_str(), run.baseline.c_str());
  step_tooltip(run, step);
  if (lane.coverage_bars && run.quality.has_coverage())
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()),
                       "a full bar stands for %.2g of the mass", lane.coverage_top);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "click: go to this step");
  ImGui::EndTooltip();
  return ImGui::IsMouseClicked(ImGuiMouseButton_Left) ? step : -1;
}

}  // namespace ssa::gui::draw
