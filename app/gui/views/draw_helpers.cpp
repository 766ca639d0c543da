// Drawing helpers (see draw_helpers.h).
//
// [SECTION] text
// [SECTION] axes
// [SECTION] plots
// [SECTION] colour bar and legend
#include "app/gui/views/draw_helpers.h"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace ssa::gui::draw {
namespace {

ImFont* small_font() {
  return theme::fonts().small ? theme::fonts().small : ImGui::GetFont();
}

ImVec2 small_size(const std::string& s) {
  ImFont* f = small_font();
  return f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, s.c_str());
}

void small_text(ImDrawList* dl, ImVec2 at, ImU32 colour, const std::string& s) {
  ImFont* f = small_font();
  dl->AddText(f, f->FontSize, at, colour, s.c_str());
}

}  // namespace

// --- [SECTION] text -------------------------------------------------------------

void centered_note(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::string& text, ImU32 colour) {
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  if (size.x > max.x - min.x || size.y > max.y - min.y) return;
  dl->AddText(ImVec2((min.x + max.x - size.x) / 2, (min.y + max.y - size.y) / 2), colour,
              text.c_str());
}

bool fitted_text(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::vector<std::string>& candidates,
                 ImU32 colour, ImFont* font) {
  ImFont* f = font ? font : ImGui::GetFont();
  const float size = f->FontSize;
  for (const std::string& c : candidates) {
    const ImVec2 s = f->CalcTextSizeA(size, FLT_MAX, 0, c.c_str());
    if (s.x <= max.x - min.x && s.y <= max.y - min.y) {
      dl->AddText(f, size, min, colour, c.c_str());
      return true;
    }
  }
  return false;
}

void same_line_if_fits(float width) {
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
}

void dim_text(const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, theme::vec(theme::text_dim()));
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopStyleColor();
}

bool begin_dialog(const char* name, bool* open, KeyQueue& keys, ImVec2 size) {
  if (keys.pressed(Key::kEscape)) {
    keys.consume(Key::kEscape);
    *open = false;
    return false;
  }
  ImGui::OpenPopup(name);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(
      ImVec2(std::min(size.x, display.x - 40), std::min(size.y, display.y - 40)));
  ImGui::SetNextWindowPos(ImVec2(display.x / 2, display.y / 2), ImGuiCond_Always,
                          ImVec2(0.5f, 0.5f));
  return ImGui::BeginPopupModal(
      name, open,
      ImGuiWindowFlags_NoResize | (size.y <= 0 ? ImGuiWindowFlags_AlwaysAutoResize : 0));
}

void end_dialog(bool* open) {
  if (!*open) ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
}

// --- [SECTION] axes -------------------------------------------------------------

std::vector<double> nice_ticks(double lo, double hi, int max_ticks, bool integers) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || max_ticks < 1) return ticks;
  if (hi < lo) std::swap(lo, hi);
  const double span = hi - lo;
  if (span <= 0) return {lo};
  // The 1-2-5 step nearest above span / max_ticks, made smaller while fewer
  // than two ticks would fall in the range (a short axis still gets two).
  const double raw = span / max_ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double multiples[] = {1.0, 2.0, 5.0};
  int m = 0;
  while (multiples[m] * mag < raw) {
    if (++m == 3) m = 0, mag *= 10;
  }
  auto fill = [&](double step) {
    ticks.clear();
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
      if (ticks.size() > 64) break;
    }
  };
  for (int tries = 0; tries < 6; ++tries) {
    double step = multiples[m] * mag;
    if (integers) step = std::max(1.0, std::round(step));
    fill(step);
    if (ticks.size() >= 2 || (integers && step <= 1)) break;
    if (--m < 0) m = 2, mag /= 10;
  }
  return ticks;
}

std::string grouped_digits(int64_t n, const char* minus) {
  // Through uint64_t: -n overflows for INT64_MIN (a crafted recording's).
  const uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return (n < 0 ? minus : "") + digits;
}

std::string tick_label(double value, double step) {
  char text[48];
  if (std::abs(value) >= 1e6 && step >= 1) {
    std::snprintf(text, sizeof text, "%.3gM", value / 1e6);
  } else if (step >= 1 || value == 0) {
    return grouped_digits(std::llround(value), "\xE2\x88\x92");
  } else {
    const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step))), 0, 6);
    std::snprintf(text, sizeof text, "%.*f", decimals, std::abs(value));
    return (value < 0 ? "\xE2\x88\x92" : "") + std::string(text);
  }
  return text;
}

namespace {

// Ticks of an axis, as many as fit `length` pixels with `spacing` between labels.
std::vector<double> axis_ticks(const Axis& axis, float length, float spacing) {
  const int most = std::max(1, static_cast<int>(std::abs(length) / spacing));
  return nice_ticks(std::min(axis.v0, axis.v1), std::max(axis.v0, axis.v1), most, axis.integers);
}

double tick_step(const std::vector<double>& ticks) {
  return ticks.size() >= 2 ? ticks[1] - ticks[0] : 1.0;
}

}  // namespace

namespace {

// Ticks and labels of a horizontal axis at y, labels below (+1) or above (-1)
// it; labels that would overlap [skip_from, skip_to) are left out.
void horizontal_ticks(ImDrawList* dl, const Axis& x, float y, int side, float skip_from,
                      float skip_to) {
  const float spacing = small_size(tick_label(std::max(std::abs(x.v0), std::abs(x.v1)), 1)).x + 28;
  const auto ticks = axis_ticks(x, x.a1 - x.a0, spacing);
  const double step = tick_step(ticks);
  const float lo = std::min(x.a0, x.a1), hi = std::max(x.a0, x.a1);
  const float h = small_font()->FontSize;
  for (double v : ticks) {
    const float sx = x.at(v);
    if (sx < lo - 0.5f || sx > hi + 0.5f) continue;
    dl->AddLine(ImVec2(sx, y), ImVec2(sx, y + 4.0f * side), theme::grid());
    const std::string label = tick_label(v, step);
    const float w = small_size(label).x;
    const float lx = std::clamp(sx - w / 2, lo - 4, hi - w + 4);
    if (lx + w > skip_from && lx < skip_to) continue;
    small_text(dl, ImVec2(lx, side > 0 ? y + 4 : y - 4 - h), theme::text_dim(), label);
  }
}

}  // namespace

void axis_below(ImDrawList* dl, const Axis& x, float y, const char* title) {
  const float hi = std::max(x.a0, x.a1);
  float title_x = hi;
  if (title) {
    // The title under the last labels' line, at the right end.
    title_x = hi - small_size(title).x;
    small_text(dl, ImVec2(title_x, y + 4 + small_font()->FontSize), theme::text_dim(), title);
  }
  horizontal_ticks(dl, x, y, +1, 0, 0);
}

void axis_above(ImDrawList* dl, const Axis& x, float y, const char* title) {
  const float lo = std::min(x.a0, x.a1);
  float title_end = lo;
  if (title) {
    small_text(dl, ImVec2(lo, y - 4 - small_font()->FontSize), theme::text_dim(), title);
    title_end = lo + small_size(title).x + 12;
  }
  horizontal_ticks(dl, x, y, -1, lo - 1, title_end);
}

float left_axis_width(double largest) {
  return small_size(tick_label(-std::abs(largest), std::abs(largest) >= 10 ? 1 : 0.01)).x + 10;
}

void axis_left(ImDrawList* dl, const Axis& y, float x, const char* title) {
  const float h = small_font()->FontSize;
  const auto ticks = axis_ticks(y, std::max(std::abs(y.a1 - y.a0), h * 3.4f), h * 1.7f);
  const double step = tick_step(ticks);
  const float lo = std::min(y.a0, y.a1), hi = std::max(y.a0, y.a1);
  for (double v : ticks) {
    const float sy = y.at(v);
    if (sy < lo - 0.5f || sy > hi + 0.5f) continue;
    dl->AddLine(ImVec2(x - 4, sy), ImVec2(x, sy), theme::grid());
    const std::string label = tick_label(v, step);
    const ImVec2 s = small_size(label);
    small_text(dl, ImVec2(x - 6 - s.x, std::clamp(sy - s.y / 2, lo - 2, hi - s.y + 2)),
               theme::text_dim(), label);
  }
  if (title)
    small_text(dl, ImVec2(x - small_size(title).x - 6, lo - h - 2), theme::text_dim(), title);
}

// --- [SECTION] plots --------------------------------------------------------------

void PlotRange::marker(ImDrawList* dl, double xv, ImU32 colour) const {
  if (!contains_x(xv)) return;
  const float sx = x.at(xv);
  dl->AddLine(ImVec2(sx, area_min.y), ImVec2(sx, area_max.y), colour);
}

PlotRange plot_frame(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::string& label,
                     const std::vector<const std::vector<double>*>& xs,
                     const std::vector<const std::vector<double>*>& ys, const PlotStyle& style) {
  PlotRange r;
  r.log_y = style.log_y;
  dl->AddRectFilled(min, max, theme::panel_background(), 3.0f);
  const float font = ImGui::GetFontSize(), small = small_font()->FontSize;
  dl->AddText(ImVec2(min.x + 6, min.y + 3), theme::text_dim(), label.c_str());
  if (style.zoom_note) {
    const float w = small_size(style.zoom_note).x;
    small_text(dl, ImVec2(max.x - w - 8, min.y + 4), theme::text_dim(), style.zoom_note);
  }
  auto fy = [&](double y) { return style.log_y ? std::log10(std::max(y, 1e-12)) : y; };
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  size_t points = 0;
  for (size_t s = 0; s < xs.size() && s < ys.size(); ++s) {
    if (!xs[s] || !ys[s] || xs[s]->size() != ys[s]->size()) continue;
    for (size_t i = 0; i < xs[s]->size(); ++i) {
      const double xv = (*xs[s])[i], yv = fy((*ys[s])[i]);
      if (!std::isfinite(xv) || !std::isfinite(yv)) continue;
      x0 = std::min(x0, xv), x1 = std::max(x1, xv), y0 = std::min(y0, yv), y1 = std::max(y1, yv);
      ++points;
    }
  }
  if (std::isfinite(style.x_min) && std::isfinite(style.x_max)) x0 = style.x_min, x1 = style.x_max;
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (x1 <= x0) x0 -= 0.5, x1 += 0.5;
  if (!std::isfinite(y0)) y0 = 0, y1 = 1;
  if (y1 <= y0) y0 -= 0.5, y1 += 0.5;
  const double pad = (y1 - y0) * 0.08;
  const bool non_negative = y0 >= 0 && !style.log_y;
  y0 -= pad, y1 += pad;
  if (non_negative) y0 = std::max(y0, 0.0);  // costs and counts never dip below zero
  if (std::isfinite(style.y_min) && std::isfinite(style.y_max) && style.y_max > style.y_min)
    y0 = fy(style.y_min), y1 = fy(style.y_max);
  const float axis_w =
      std::max(left_axis_width(std::max(std::abs(y0), std::abs(y1))), style.log_y ? 52.0f : 0.0f);
  r.area_min = ImVec2(min.x + axis_w + 6, min.y + font + 10);
  r.area_max = ImVec2(max.x - 10, max.y - small * 2 - 6);
  r.x = Axis{r.area_min.x, r.area_max.x, x0, x1, style.integer_x};
  r.y = Axis{r.area_max.y, r.area_min.y, y0, y1, false};
  if (r.area_max.x <= r.area_min.x + 10 || r.area_max.y <= r.area_min.y + 10) return r;
  // Grid at the y ticks, then the axes.
  for (double v : nice_ticks(
           y0, y1, std::max(2, static_cast<int>((r.area_max.y - r.area_min.y) / (small * 1.7f))),
           false)) {
    const float sy = r.y.at(v);
    dl->AddLine(ImVec2(r.area_min.x, sy), ImVec2(r.area_max.x, sy),
                theme::with_alpha(theme::grid(), 0.5f));
  }
  dl->AddLine(ImVec2(r.area_min.x, r.area_max.y), r.area_max, theme::grid());
  dl->AddLine(r.area_min, ImVec2(r.area_min.x, r.area_max.y), theme::grid());
  if (style.log_y) {
    // Decades labelled as values, not exponents.
    for (double e = std::ceil(y0); e <= y1; e += 1) {
      const float sy = r.y.at(e);
      char text[32];
      std::snprintf(text, sizeof text, "%g", std::pow(10.0, e));
      const ImVec2 s = small_size(text);
      small_text(dl, ImVec2(r.area_min.x - 6 - s.x, sy - s.y / 2), theme::text_dim(), text);
    }
  } else {
    axis_left(dl, r.y, r.area_min.x);
  }
  if (style.x_ticks) {
    const float h = small_font()->FontSize;
    float free_from = -INFINITY;  // labels never overlap: a crowded one is left out
    for (const auto& [v, label] : *style.x_ticks) {
      const float sx = r.x.at(v);
      if (sx < r.area_min.x - 0.5f || sx > r.area_max.x + 0.5f) continue;
      dl->AddLine(ImVec2(sx, r.area_min.y), ImVec2(sx, r.area_max.y),
                  theme::with_alpha(theme::grid(), 0.35f));
      dl->AddLine(ImVec2(sx, r.area_max.y), ImVec2(sx, r.area_max.y + 4), theme::grid());
      const float w = small_size(label).x;
      if (sx - w / 2 < free_from) continue;
      small_text(dl, ImVec2(sx - w / 2, r.area_max.y + 4), theme::text_dim(), label);
      free_from = sx + w / 2 + 8;
    }
    if (style.x_title) {
      const float w = small_size(style.x_title).x;
      small_text(dl, ImVec2(r.area_max.x - w, r.area_max.y + 4 + h), theme::text_dim(),
                 style.x_title);
    }
  } else {
    axis_below(dl, r.x, r.area_max.y, style.x_title);
  }
  if (points == 0)
    centered_note(dl, r.area_min, r.area_max,
                  style.empty_note ? style.empty_note : "not recorded in this run");
  return r;
}

void plot_line(ImDrawList* dl, const PlotRange& r, const std::vector<double>& xs,
               const std::vector<double>& ys, ImU32 colour, float thickness, bool dots) {
  const size_t n = std::min(xs.size(), ys.size());
  if (n == 0) return;
  dl->PushClipRect(ImVec2(r.area_min.x - 4, r.area_min.y - 4),
                   ImVec2(r.area_max.x + 4, r.area_max.y + 4), true);
  const size_t columns = static_cast<size_t>(std::max(2.0f, r.area_max.x - r.area_min.x));
  std::vector<ImVec2> points;
  if (n <= columns * 2) {
    for (size_t i = 0; i < n; ++i) points.push_back(r.at(xs[i], ys[i]));
  } else {
    // Min and max of every pixel column, so that long runs stay cheap and spikes stay visible.
    points.reserve(columns * 2);
    for (size_t c = 0; c < columns; ++c) {
      const size_t i0 = c * n / columns, i1 = std::max(i0 + 1, (c + 1) * n / columns);
      double lo = INFINITY, hi = -INFINITY;
      for (size_t i = i0; i < i1; ++i) lo = std::min(lo, ys[i]), hi = std::max(hi, ys[i]);
      points.push_back(r.at(xs[i0], lo));
      points.push_back(r.at(xs[i0], hi));
    }
  }
  if (points.size() == 1)
    dl->AddCircleFilled(points[0], 3.0f, colour);
  else
    dl->AddPolyline(points.data(), static_cast<int>(points.size()), colour, 0, thickness);
  if (dots && n * 8 <= columns)
    for (size_t i = 0; i < n; ++i) dl->AddCircleFilled(r.at(xs[i], ys[i]), 3.0f, colour);
  dl->PopClipRect();
}

PlotRange line_plot(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::vector<double>& xs,
                    const std::vector<double>& ys, ImU32 colour, const std::string& label,
                    const PlotStyle& style) {
  const PlotRange r = plot_frame(dl, min, max, label, {&xs}, {&ys}, style);
  plot_line(dl, r, xs, ys, colour, 1.5f, style.dots);
  return r;
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
    const float d = std::abs(r.x.at(xs[i]) - m.x);
    if (d < best_d) best_d = d, best = static_cast<int>(i);
  }
  return best;
}

std::vector<double> smooth(const std::vector<double>& ys, double weight) {
  std::vector<double> out(ys.size());
  weight = std::clamp(weight, 0.0, 0.999);
  double last = 0, debias = 0;
  for (size_t i = 0; i < ys.size(); ++i) {
    if (!std::isfinite(ys[i])) {
      out[i] = ys[i];
      continue;
    }
    last = last * weight + (1 - weight) * ys[i];
    debias = debias * weight + (1 - weight);
    out[i] = last / debias;
  }
  return out;
}

double share_axis_max(double largest) {
  for (double top : {0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5})
    if (largest * 1.1 <= top) return top;
  return 1.0;
}

std::string zoom_label(double top) {
  if (top >= 1.0) return "";
  char text[48];
  std::snprintf(text, sizeof text, "zoom: 0\xE2\x80\x93%g of 1", top);
  return text;
}

// --- [SECTION] colour bar and legend ------------------------------------------------

void colour_bar(ImDrawList* dl, ImVec2 min, ImVec2 max) {
  const int steps = std::max(2, static_cast<int>(max.y - min.y));
  const float w = std::min(12.0f, max.x - min.x);
  for (int i = 0; i < steps; ++i) {
    const float t = 1.0f - static_cast<float>(i) / (steps - 1);
    const float y = min.y + (max.y - min.y) * i / steps;
    dl->AddRectFilled(ImVec2(min.x, y), ImVec2(min.x + w, y + (max.y - min.y) / steps + 1),
                      theme::score_colour(t));
  }
  dl->AddRect(min, ImVec2(min.x + w, max.y), theme::grid());
  const float h = small_font()->FontSize;
  for (double v : {0.0, 0.5, 1.0}) {
    const float y = max.y - static_cast<float>(v) * (max.y - min.y);
    dl->AddLine(ImVec2(min.x + w, y), ImVec2(min.x + w + 3, y), theme::grid());
    small_text(dl, ImVec2(min.x + w + 5, std::clamp(y - h / 2, min.y - 2, max.y - h + 2)),
               theme::text_dim(),
               v == 0   ? "0"
               : v == 1 ? "1"
                        : "0.5");
  }
}

void legend(const std::vector<theme::Meaning>& meanings) {
  const float h = ImGui::GetTextLineHeight();
  bool first = true;
  for (const auto& m : meanings) {
    const float w = h * 1.1f + 4 + ImGui::CalcTextSize(m.label).x + 10;
    if (!first) same_line_if_fits(w);
    first = false;
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 a(p.x, p.y + h * 0.2f), b(p.x + h * 1.1f, p.y + h * 0.8f);
    switch (m.mark) {
      case theme::Meaning::Mark::kFill:
        dl->AddRectFilled(a, b, m.colour, 3.0f);
        break;
      case theme::Meaning::Mark::kOutline:
        dl->AddRect(a, b, m.colour, 3.0f, 0, 2.0f);
        break;
      case theme::Meaning::Mark::kRamp: {
        const int n = 8;
        for (int i = 0; i < n; ++i)
          dl->AddRectFilled(ImVec2(a.x + (b.x - a.x) * i / n, a.y),
                            ImVec2(a.x + (b.x - a.x) * (i + 1) / n + 0.5f, b.y),
                            theme::score_colour(i / (n - 1.0f)));
        break;
      }
    }
    ImGui::Dummy(ImVec2(h * 1.1f, h));
    ImGui::SameLine(0, 4);
    ImGui::TextColored(theme::vec(theme::text_dim()), "%s", m.label);
  }
}

}  // namespace ssa::gui::draw
