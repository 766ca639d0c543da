// Checks on records: what the Writer is given (in the caller's thread, so that
// a bad record fails at its source) and what the Reader reads back (so that
// no viewer indexes with a value a damaged file made up). One definition of
// each invariant, used by both; every failure is a std::invalid_argument with
// a one-line reason (the Reader adds the file, table and row).
// (The shape of a layer step alone is checked by validate_layer_step in
// layer_step_codec.h.)
#pragma once

#include <cstdint>

#include "sessions/records.h"

namespace ssa::sessions {

// Bounds on a run's shape: a file claiming more is not one we wrote.
constexpr int32_t kMaxLayers = 4096;
constexpr int32_t kMaxScoreHeads = 4096;
constexpr int32_t kMaxLevels = 64;

// Every per-position array has length() entries (pieces: 0 or length());
// group_ids a multiple of it; roles within [0, levels]; every chunk and group
// id the count of the gists of its level strictly before the position (a gist
// carries the id of what it closes); raw_index -1 exactly at gists and
// ascending over raw tokens; prefix and sink within the stream.
void validate_layout(const Layout& layout);
// CSR offsets from 0, monotonic, to the entry count; one kind (1, 2 or 3) per
// entry; key blocks causal (0 <= key block <= its query block); block size
// and previous_chunks sensible.
void validate_mask(const BlockMask& mask);
// The mask describes a prefix of the layout (at most ceil(length / block) rows).
void validate_mask_fits(const BlockMask& mask, int64_t layout_length);
// Counts within the bounds above, dropped_details >= 0.
void validate_run(const RunInfo& run);
// A decoded layer step against its run: layer and heads within the run's
// shape (when known), levels within the layout's, every scored and chosen
// position a gist of its level inside the layout, and every chosen gist among
// the candidates its row scored at that level (when it scored).
void validate_layer_step_in_run(const LayerStep& record, const Layout& layout, const RunInfo& run);

}  // namespace ssa::sessions
