// Reader: random access to a .ssarec recording, read-only and lazy.
//
// Opening checks only the header, application_id and format version (fast on
// a file of any size); every getter runs one indexed query and decodes only
// what it returns. The same Reader follows a file that is still being written
// (live mode): call refresh() now and then; it reports whether anything new
// was committed and drops cached run data.
//
// A Reader is not thread-safe: use one per thread (a GUI loader thread opens
// its own). All failures throw FormatError / Error with one line naming the file.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sessions/errors.h"
#include "sessions/records.h"

namespace ssa::sessions {

// Where a recording's bytes go (for `ssa-workbench info`).
struct TableSize {
  std::string table;  // table or index name
  int64_t bytes = 0;
  int64_t rows = -1;  // -1 for indexes
};

class Reader {
 public:
  static constexpr int64_t kAllSteps = std::numeric_limits<int64_t>::max();

  explicit Reader(const std::string& path);
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  const std::string& path() const;
  int format_version() const;

  // Live mode: true when another connection committed since the last call
  // (or since opening). Clears cached run data so getters see the new state.
  bool refresh();

  std::vector<RunInfo> runs();
  std::optional<RunInfo> run(int64_t run_id);
  std::optional<Layout> layout(int64_t run_id);
  std::optional<BlockMask> mask(int64_t run_id);

  // Steps with first <= step <= last, ascending.
  std::vector<TrainStepRecord> train_steps(int64_t run_id, int64_t first = 0,
                                           int64_t last = kAllSteps);
  std::vector<DecodeStepRecord> decode_steps(int64_t run_id, int64_t first = 0,
                                             int64_t last = kAllSteps);
  StepRange decode_step_range(int64_t run_id);
  StepRange train_step_range(int64_t run_id);
  // Steps that have layer-step detail (scores/selections), and the layers recorded.
  StepRange detail_step_range(int64_t run_id);
  int32_t num_layers(int64_t run_id);  // highest recorded layer + 1

  // Scores and selections of one (step, layer); nullopt when not recorded.
  std::optional<LayerStep> layer_step(int64_t run_id, int64_t step, int32_t layer);
  // One layer across steps: the score of gist `position` for `head` at
  // `level`, per step in [first, last] where it was a candidate. Uses the
  // (run, layer, step) index; decodes one value per record.
  struct ScorePoint {
    int64_t step;
    float score;
    bool chosen;
  };
  std::vector<ScorePoint> score_series(int64_t run_id, int32_t layer, int32_t level, int32_t head,
                                       int64_t position, int64_t first = 0,
                                       int64_t last = kAllSteps);
  // One chunk (level 0) or group (level k) across steps: when it was unfolded.
  std::vector<Unfold> unfolds(int64_t run_id, int32_t level, int32_t id, int64_t first = 0,
                              int64_t last = kAllSteps);
  // Every unfold of one step (all chunks and groups chosen by any layer).
  std::vector<Unfold> unfolds_at(int64_t run_id, int64_t step);

  std::vector<Bookmark> bookmarks(int64_t run_id);

  // File size and per-table bytes (uses SQLite's dbstat when available).
  int64_t file_bytes();
  std::vector<TableSize> table_sizes();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssa::sessions
