// Score timeline rows and image (see timeline_image.h).
#include "app/gui/model/timeline_image.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "app/gui/model/head_step.h"

namespace ssa::gui {

TimelineColumns timeline_columns(int32_t level, int64_t gists, int64_t first, int64_t count,
                                 int max_columns) {
  TimelineColumns c;
  c.level = level;
  c.first = static_cast<int32_t>(std::clamp<int64_t>(first, 0, std::max<int64_t>(0, gists - 1)));
  c.count = static_cast<int32_t>(std::clamp<int64_t>(count, 0, gists - c.first));
  const int64_t most = std::max(1, max_columns);
  c.per_column = static_cast<int32_t>(std::max<int64_t>(1, (c.count + most - 1) / most));
  c.width = static_cast<int>((c.count + c.per_column - 1) / c.per_column);
  return c;
}

TimelineRow make_timeline_row(const LayoutIndex& index, const sessions::LayerStep* record,
                              int32_t head, const TimelineColumns& columns) {
  TimelineRow row;
  row.score.assign(static_cast<size_t>(columns.width), std::numeric_limits<float>::quiet_NaN());
  row.picked.assign(static_cast<size_t>(columns.width), 0);
  if (!record) return row;
  row.recorded = true;
  float lo = INFINITY, hi = -INFINITY;
  auto column_of = [&](int64_t pos) {
    if (!index.is_gist_of(pos, columns.level)) return -1;
    const int32_t g = index.id(pos, columns.level) - columns.first;
    return g >= 0 && g < columns.count ? g / columns.per_column : -1;
  };
  for (const auto& ls : record->scores) {
    if (ls.level != columns.level || !rows_sound(ls)) continue;
    for (size_t r = 0; r < ls.rows(); ++r) {
      if (head >= 0 && ls.heads[r] != head) continue;
      const int64_t* c = ls.row_candidates(r);
      const float* s = ls.row_scores(r);
      for (size_t i = 0; i < ls.row_size(r); ++i) {
        if (!index.is_gist_of(c[i], columns.level) || std::isnan(s[i])) continue;
        lo = std::min(lo, s[i]);
        hi = std::max(hi, s[i]);
        const int x = column_of(c[i]);
        if (x < 0) continue;
        float& cell = row.score[static_cast<size_t>(x)];
        cell = std::isnan(cell) ? s[i] : std::max(cell, s[i]);
      }
    }
  }
  for (const auto& sel : record->selections) {
    if (sel.level != columns.level || !rows_sound(sel)) continue;
    for (size_t r = 0; r < sel.rows(); ++r) {
      if (head >= 0 && sel.heads[r] != head) continue;
      for (size_t i = 0; i < sel.row_size(r); ++i) {
        const int x = column_of(sel.row_chosen(r)[i]);
        if (x >= 0) row.picked[static_cast<size_t>(x)] = 1;
      }
    }
  }
  row.lo = std::isfinite(lo) ? lo : 0;
  row.hi = std::isfinite(hi) ? hi : 0;
  return row;
}

std::pair<size_t, size_t> TimelineImage::row_steps(int y) const {
  const size_t first = request.first_index + static_cast<size_t>(y) * steps_per_row;
  const size_t last = std::min(first + steps_per_row, request.first_index + request.step_count) - 1;
  return {first, last};
}

void paint_timeline_row(TimelineImage& image, int y, const std::vector<const TimelineRow*>& rows) {
  const TimelinePalette& palette = *image.request.palette;
  const size_t w = static_cast<size_t>(image.width);
  uint32_t* out = &image.rgba[static_cast<size_t>(y) * w];
  float* score = &image.cell_score[static_cast<size_t>(y) * w];
  uint8_t* picked = &image.cell_picked[static_cast<size_t>(y) * w];
  float lo = INFINITY, hi = -INFINITY;
  bool any_recorded = false;
  for (size_t x = 0; x < w; ++x) {
    float best = -1;  // normalised, -1: nothing scored
    float raw = std::numeric_limits<float>::quiet_NaN();
    uint8_t pick = 0;
    for (const TimelineRow* row : rows) {
      if (!row->recorded) continue;
      const float s = row->score[x];
      pick |= row->picked[x];
      if (std::isnan(s)) continue;
      const float range = row->hi > row->lo ? row->hi - row->lo : 1.0f;
      best = std::max(best, std::clamp((s - row->lo) / range, 0.0f, 1.0f));
      raw = std::isnan(raw) ? s : std::max(raw, s);
    }
    score[x] = raw;
    picked[x] = pick;
    if (pick)
      out[x] = palette.picked;
    else if (best >= 0)
      out[x] = palette.ramp[static_cast<size_t>(best * 255.0f + 0.5f)];
    else
      out[x] = palette.unscored;
  }
  for (const TimelineRow* row : rows) {
    if (!row->recorded) continue;
    any_recorded = true;
    lo = std::min(lo, row->lo);
    hi = std::max(hi, row->hi);
  }
  if (!any_recorded) std::fill(out, out + w, palette.unrecorded);
  image.row_lo[static_cast<size_t>(y)] = any_recorded ? lo : 0;
  image.row_hi[static_cast<size_t>(y)] = any_recorded ? hi : 0;
}

}  // namespace ssa::gui
