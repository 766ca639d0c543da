// Layer-step codec: one LayerStep <-> rows of the level_records table.
//
// Shared by the Writer (encode) and the Reader (decode) so that the two can
// never disagree. Decoding validates every shape, offset and position against
// the blobs it was given and throws BlobError; it never reads out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sessions/blob_codec.h"
#include "sessions/records.h"

namespace ssa::sessions {

// A blob column as SQLite hands it out (data may be null when size is 0).
struct BlobView {
  const void* data = nullptr;
  size_t size = 0;
};

// The columns of one level_records row, encoded.
struct EncodedLevel {
  int32_t level = 0;
  bool has_scores = false;
  int64_t rows = 0;                 // score rows
  std::string heads;                // int32
  std::vector<int64_t> candidates;  // the candidate set to store (shared list or rows concatenated)
  bool has_score_offsets = false;   // false: shared candidates
  std::string score_offsets;        // int32, rows + 1
  int score_dtype = 0;
  std::string scores;
  bool has_selection = false;
  int64_t chosen_rows = 0;
  std::string chosen_heads;    // int32
  std::string chosen_offsets;  // int32, chosen_rows + 1
  std::string chosen;          // int32 stream positions
};

// Checks what the Writer is given: levels ascending and unique, heads
// ascending, CSR offsets consistent, positions in [0, 2^31). Throws
// std::invalid_argument with a one-line reason.
void validate_layer_step(const LayerStep& record);

// Encodes a validated record, one entry per level that scored or chose.
// Rows whose candidate lists are all equal are stored as one shared list.
std::vector<EncodedLevel> encode_layer_step(const LayerStep& record, Dtype score_dtype);

// Decodes the score half of a row. `candidates` is the row's candidate set.
LevelScores decode_level_scores(int32_t level, int64_t rows, BlobView heads,
                                const std::vector<int64_t>& candidates, BlobView score_offsets,
                                bool has_score_offsets, int score_dtype, BlobView scores);
// Decodes the selection half of a row.
LevelSelection decode_level_selection(int32_t level, int64_t rows, BlobView heads, BlobView offsets,
                                      BlobView chosen);
// Decodes a candidate set blob (int32 positions, `count` of them).
std::vector<int64_t> decode_candidate_set(BlobView positions, int64_t count);

// Row index of `head` in an int32 heads blob of `rows` entries, or -1.
int64_t find_head_row(BlobView heads, int64_t rows, int32_t head);

}  // namespace ssa::sessions
