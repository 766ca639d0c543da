// Drawing helpers shared by the views (titles, notes, legend swatches, line plots).
#include <imgui.h>

#include <algorithm>
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
                    const std::vector<double>& ys, ImU32 colour, const char* label, bool log_y) {
  const float font = ImGui::GetFontSize();
  PlotRange r{
      0, 1, 0, 1, ImVec2(min.x + 52, min.y + font * 1.7f + 6), ImVec2(max.x - 8, max.y - font - 6)};
  dl->AddRectFilled(min, max, theme::panel_background(), 3.0f);
  dl->AddText(ImVec2(min.x + 6, min.y + 3), theme::text_dim(), label);
  if (xs.empty() || xs.size() != ys.size()) {
    centered_note(dl, min, max, "not recorded (or never scored) in this run");
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
  return r;
}

}  // namespace ssa::gui::draw
