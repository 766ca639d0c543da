// SessionModel: the one owner of a recording's data that every view queries.
//
// It opens the file through sessions::Reader (the GUI's only door to data),
// loads what is small at once (runs, layout, block mask, step records,
// bookmarks) and everything per step or across steps (scores, selections,
// timelines, compare overlaps) on worker threads with their own Readers. Views
// never touch the Reader or the file: they call the getters below every frame,
// which never block; a getter returns what is ready (maybe for a neighbouring
// step) and the view says "loading" when it has nothing yet.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/model/async_slot.h"
#include "app/gui/model/layout_index.h"
#include "app/summary/decode_quality.h"
#include "sessions/reader.h"
#include "sessions/records.h"

namespace ssa::gui {

// Everything loaded at once for one run.
struct RunData {
  sessions::RunInfo info;
  std::optional<sessions::Layout> layout;
  std::optional<sessions::BlockMask> mask;
  LayoutIndex index;  // empty when the run has no layout
  std::vector<sessions::DecodeStepRecord> decode_steps;
  std::vector<sessions::TrainStepRecord> train_steps;
  sessions::StepRange detail_steps;  // steps with scores/selections
  int32_t num_layers = 0;
  int32_t num_heads = 0;               // rows of a score record
  std::vector<int32_t> answer_chunks;  // chunk ids holding a task's answer (config_json)
  std::string settings_summary;        // "chunk8, sink 3, p 1" from the layout settings
  summary::DecodeSummary quality;      // baseline, coverage and answer numbers of decode_steps
  std::string baseline;  // summary::baseline_label(): "SSA", "oracle", "full attention", ...
};

// One head's (or the union of all heads') view of one (step, layer).
struct HeadStep {
  int64_t step = -1;
  int32_t layer = 0;
  int32_t head = -1;  // -1: all heads (picks united, scores maxed)
  struct Level {
    std::vector<int64_t> candidates;  // stream positions, ascending
    std::vector<float> scores;        // per candidate
    std::vector<int64_t> chosen;      // stream positions, ascending
  };
  std::vector<Level> levels;             // [level], empty levels when not recorded
  std::vector<int32_t> unfolded_chunks;  // chunk ids chosen at level 0, ascending
  bool recorded = false;                 // false: no detail for this (step, layer)
  bool is_chosen(int level, int64_t pos) const;
  bool is_unfolded(int32_t chunk) const;
};

// Unfolds of every layer at one step (chunk id -> bitmask of layers).
struct StepUnfolds {
  int64_t step = -1;
  std::vector<sessions::Unfold> level0;  // sorted by chunk id
  uint64_t layers_of(int32_t chunk) const;
};

// Decode steps x gists heatmap of one (layer, head, level), built progressively.
struct TimelineImage {
  int64_t run_id = 0;                      // what it shows (a view keeps uploading rows
  int32_t layer = 0, head = 0, level = 0;  // only while these stay the same)
  int width = 0, height = 0;               // columns (gist bins) x rows (steps)
  int64_t first_step = 0;
  int32_t gists_per_column = 1;  // > 1 when the level has more gists than columns
  std::vector<uint32_t> rgba;    // top row = first step
  int rows_done = 0;             // rows filled so far
};

// Per step: how many chunks two runs unfolded in common (layer-unioned).
struct CompareSeries {
  std::vector<int64_t> steps;
  std::vector<float> jaccard;  // |A & B| / |A | B| of unfolded chunk sets, 1 when both empty
  int rows_done = 0;
};

// Chunks two runs unfolded (any layer) at one step, ascending chunk ids.
struct CompareStep {
  int64_t step = -1;
  std::vector<int32_t> a, b;
};

class SessionModel {
 public:
  // Opens a recording; throws sessions::Error (one line naming the file).
  explicit SessionModel(const std::string& path);
  ~SessionModel();

  const std::string& path() const { return path_; }
  const std::vector<sessions::RunInfo>& runs() const { return runs_; }
  // The run's data, loaded on first use; nullptr for an unknown id.
  const RunData* run(int64_t run_id);
  // The first run with a layout (the one the workbench opens on), or the first run.
  int64_t default_run() const { return default_run_; }
  double open_seconds() const { return open_seconds_; }

  // Non-blocking per-step data (see the class comment).
  std::shared_ptr<const HeadStep> head_step(int64_t run_id, int64_t step, int32_t layer,
                                            int32_t head, bool* exact = nullptr);
  std::shared_ptr<const StepUnfolds> unfolds(int64_t run_id, int64_t step, bool* exact = nullptr);
  std::shared_ptr<const TimelineImage> timeline(int64_t run_id, int32_t layer, int32_t head,
                                                int32_t level, int max_columns);
  std::shared_ptr<const std::vector<sessions::Reader::ScorePoint>> score_series(
      int64_t run_id, int32_t layer, int32_t level, int32_t head, int64_t position);
  std::shared_ptr<const CompareSeries> compare(int64_t run_a, int64_t run_b);
  std::shared_ptr<const CompareStep> compare_step(int64_t run_a, int64_t run_b, int64_t step);

  // Bookmarks: read through the Reader, written through sessions::Notebook.
  const std::vector<sessions::Bookmark>& bookmarks(int64_t run_id);
  void add_bookmark(sessions::Bookmark bookmark);
  void remove_bookmark(int64_t run_id, int64_t bookmark_id);

  // Live mode: picks up what a writer committed since the last call (new runs,
  // steps, details). Returns true when something changed; run() then returns
  // fresh RunData (old ones stay alive for views and workers still using them).
  bool refresh();

  // Blocks until every requested background load has finished (screenshots, tests).
  void wait_idle();
  // The latest background failure, "" when none (shown in the status bar).
  std::string background_error() const;

 private:
  struct Workers;
  std::string path_;
  sessions::Reader reader_;
  std::vector<sessions::RunInfo> runs_;
  std::vector<std::unique_ptr<RunData>> run_data_;  // parallel to runs_
  std::vector<std::unique_ptr<RunData>> replaced_;  // stale after refresh(), kept alive
  std::vector<std::optional<std::vector<sessions::Bookmark>>> bookmarks_;
  int64_t default_run_ = 0;
  double open_seconds_ = 0;
  std::unique_ptr<Workers> workers_;
};

}  // namespace ssa::gui
