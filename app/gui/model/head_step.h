// What one (step, layer) decided, in the form the views draw: one head's (or
// every head's) candidates, scores and choices per level (HeadStep), and every
// layer's unfolds at one step (StepUnfolds).
//
// Built from the Reader's records on a worker thread. Recorded positions are
// untrusted: a candidate or choice that is not a gist of its level in the
// run's layout, a row whose offsets run past its arrays, is left out and
// counted, never indexed.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "app/gui/model/layout_index.h"
#include "sessions/records.h"

namespace ssa::gui {

struct HeadStep {
  int64_t step = -1;
  int32_t layer = 0;
  int32_t head = -1;  // -1: all heads (picks united, scores maxed)
  struct Level {
    std::vector<int64_t> candidates;  // stream positions, ascending
    std::vector<float> scores;        // per candidate
    std::vector<int64_t> chosen;      // stream positions, ascending
    float lo = 0, hi = 0;             // score range (lo > hi when nothing scored)
  };
  std::vector<Level> levels;             // [level], empty levels when not recorded
  std::vector<int32_t> unfolded_chunks;  // chunk ids chosen at level 0, ascending
  // Per head (or KV group) that chose at level 0, the chunk ids it unfolded.
  std::vector<std::pair<int32_t, std::vector<int32_t>>> chunks_by_head;
  bool recorded = false;  // false: no detail for this (step, layer)
  int64_t left_out = 0;   // recorded entries that were impossible (damage)

  bool is_chosen(int level, int64_t pos) const;
  bool is_unfolded(int32_t chunk) const;
  // Heads (or KV groups) whose level-0 choice unfolded `chunk`, ascending.
  std::vector<int32_t> heads_unfolding(int32_t chunk) const;
};

// `record` may be null (nothing recorded at this step and layer).
HeadStep make_head_step(const LayoutIndex& index, const sessions::LayerStep* record, int64_t step,
                        int32_t layer, int32_t head);

// Unfolds of every layer at one step (chunk id -> bitmask of layers).
struct StepUnfolds {
  int64_t step = -1;
  std::vector<sessions::Unfold> level0;  // sorted by chunk id, ids checked against the layout
  uint64_t layers_of(int32_t chunk) const;
  // Every chunk id any layer unfolded, ascending.
  std::vector<int32_t> chunks() const;
};
StepUnfolds make_step_unfolds(const LayoutIndex& index, std::vector<sessions::Unfold> unfolds,
                              int64_t step);

// Whether a score record's rows stay inside their arrays (shared or CSR form).
bool rows_sound(const sessions::LevelScores& scores);
bool rows_sound(const sessions::LevelSelection& selection);

}  // namespace ssa::gui
