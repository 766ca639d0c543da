// The score timeline's picture: decode steps (rows) x gists of one level
// (columns) for one (layer, head), built on a worker thread.
//
// It pages what it shows: the request names a window of steps and of gists
// and at most as many rows and columns as the screen has pixels; a row of
// the image bins consecutive steps, a column consecutive gists (max of the
// scores, picked when any was). A live refresh keeps the previous image's
// final rows and paints only the rows its new steps fall in; per-step rows
// are cached (bounded, a few MB: not one per step of a long run), so a zoom
// reads only the steps it has not read lately.
//
// Colours are the view's: the request carries its palette, the worker only
// looks values up in it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "app/gui/model/layout_index.h"
#include "app/gui/model/run_data.h"
#include "sessions/records.h"

namespace ssa::gui {

struct TimelinePalette {
  std::array<uint32_t, 256> ramp{};  // normalised score 0..1 -> colour
  uint32_t picked = 0;               // a gist the selection chose
  uint32_t unscored = 0;             // a gist this head did not score at that step
  uint32_t unrecorded = 0;           // a step without a record for this layer
};

// Which gists a timeline shows: [first, first + count) of `level`, binned.
struct TimelineColumns {
  int32_t level = 0;
  int32_t first = 0, count = 0;
  int32_t per_column = 1;  // gists binned into one column
  int width = 0;           // columns
  bool operator==(const TimelineColumns& o) const {
    return level == o.level && first == o.first && count == o.count && per_column == o.per_column &&
           width == o.width;
  }
};
// At most `max_columns` columns over gists [first, first + count) of a level with `gists` gists.
TimelineColumns timeline_columns(int32_t level, int64_t gists, int64_t first, int64_t count,
                                 int max_columns);

// One step of one (layer, head, level), over the columns.
struct TimelineRow {
  bool recorded = false;
  float lo = 0, hi = 0;         // the step's score range over the whole level
  std::vector<float> score;     // max score per column, NaN where nothing was scored
  std::vector<uint8_t> picked;  // 1 where a gist of the column was chosen
  size_t bytes() const { return score.size() * 5 + sizeof(*this); }
};
TimelineRow make_timeline_row(const LayoutIndex& index, const sessions::LayerStep* record,
                              int32_t head, const TimelineColumns& columns);

struct TimelineRequest {
  RunRef run;
  int32_t layer = 0, head = -1;
  size_t first_index = 0, step_count = 0;  // steps [first, first + count) of run->steps
  TimelineColumns columns;
  int max_rows = 1024;
  std::shared_ptr<const TimelinePalette> palette;
  bool operator==(const TimelineRequest& o) const {
    return run == o.run && layer == o.layer && head == o.head && first_index == o.first_index &&
           step_count == o.step_count && columns == o.columns && max_rows == o.max_rows &&
           palette == o.palette;
  }
};

struct TimelineImage {
  TimelineRequest request;
  int width = 0, height = 0;      // columns x rows
  size_t steps_per_row = 1;       // > 1 when more steps than rows
  std::vector<uint32_t> rgba;     // top row = first step of the window
  std::vector<float> cell_score;  // max raw score of each cell, NaN when none
  std::vector<uint8_t> cell_picked;
  std::vector<float> row_lo, row_hi;  // per row: the score range its colours normalise to
  int rows_done = 0;
  // Leading rows that a longer window of the same steps keeps as they are:
  // each bins a full steps_per_row steps, every one recorded.
  int final_rows = 0;
  // The steps [first, last] of image row y (indices into run->steps).
  std::pair<size_t, size_t> row_steps(int y) const;
};

// Lays the cached rows out as the image (colours from the request's palette).
void paint_timeline_row(TimelineImage& image, int y, const std::vector<const TimelineRow*>& rows);

}  // namespace ssa::gui
