// Worker: the workbench's one data owner, after Tracy's Worker.
//
// It opens recordings (several at once) through sessions::Reader, the GUI's
// only door to data, and publishes each run as an immutable, generation-
// stamped snapshot (RunData). Everything that touches a file runs on worker
// threads, each with its own Reader per recording:
//  - the loader opens files, reads their runs and, while following a live
//    recording, extends the snapshots with what was committed since (only the
//    new steps are read; unchanged runs keep their snapshot);
//  - the step thread answers per-step queries (one head's choices, every
//    layer's unfolds, the compare rows, score series);
//  - the aggregate thread builds the score timeline and the compare series,
//    incrementally, from bounded caches of per-step rows;
//  - the raster thread paints the mask at screen resolution.
// The GUI thread calls poll() once per frame to take the newest snapshots,
// then only getters that never block: a getter returns what is ready (maybe
// for a neighbouring step) and the view says "loading" when it has nothing.
// Memory is bounded by what the views ask for: snapshots hold the layout and
// the per-step records (small), detail comes through bounded caches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/model/head_step.h"
#include "app/gui/model/mask_raster.h"
#include "app/gui/model/run_comparison.h"
#include "app/gui/model/run_data.h"
#include "app/gui/model/run_id.h"
#include "app/gui/model/timeline_image.h"
#include "sessions/reader.h"
#include "sessions/records.h"

namespace ssa::gui {

using ScoreSeries = std::vector<sessions::Reader::ScorePoint>;

class Worker {
 public:
  enum class FileStatus {
    kWaiting,  // the file does not exist yet (a recorder is about to write it)
    kLoading,  // opening and reading its runs
    kReady,
    kFailed,  // error says why
  };
  struct File {
    int32_t index = -1;
    std::string path;
    FileStatus status = FileStatus::kLoading;
    std::string error;       // kFailed: why; otherwise the last refresh's error, if any
    int64_t generation = 0;  // refreshes that saw new commits
    std::vector<std::shared_ptr<const RunData>> runs;
    bool growing() const;  // some run not finished yet
  };

  Worker();
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens `path` in the background and returns its index. `wait_for_file`:
  // it may not exist yet (live mode); the loader waits for it.
  int32_t open(const std::string& path, bool wait_for_file = false);
  // Live mode: re-read the files every `interval_seconds` while following.
  void set_follow(bool follow, double interval_seconds = 0.5);
  // Asks the loader to look for new commits now (wait_idle() waits for it).
  void refresh_now();

  // GUI thread, once per frame: takes the newest published snapshots; true
  // when anything changed since the previous call.
  bool poll();
  const std::vector<std::shared_ptr<const File>>& files() const { return files_; }
  std::shared_ptr<const RunData> run(RunId id) const;
  std::vector<std::shared_ptr<const RunData>> runs() const;  // of every ready file
  // The run the workbench opens on: the first decode run with a layout, else
  // the first training run, else the first run; invalid when none. Among the
  // runs of `file` only, when one is given.
  RunId default_run(int32_t file = -1) const;

  // Non-blocking queries (see the class comment). `run` is the snapshot the
  // view draws; its generation is part of the request, so live data reloads.
  using Run = std::shared_ptr<const RunData>;
  std::shared_ptr<const HeadStep> head_step(const Run& run, int64_t step, int32_t layer,
                                            int32_t head, bool* exact = nullptr);
  std::shared_ptr<const StepUnfolds> unfolds(const Run& run, int64_t step, bool* exact = nullptr);
  std::shared_ptr<const ScoreSeries> score_series(const Run& run, int32_t layer, int32_t level,
                                                  int32_t head, int64_t position);
  std::shared_ptr<const CompareStep> compare_step(const Run& a, const Run& b, int64_t step);
  std::shared_ptr<const CompareSeries> compare_series(const Run& a, const Run& b);
  std::shared_ptr<const TimelineImage> timeline(const TimelineRequest& request);
  std::shared_ptr<const MaskRaster> mask_raster(const MaskRasterKey& key);
  std::shared_ptr<const BlockImage> block_image(const BlockImageKey& key);

  // Bookmarks, written through sessions::Notebook (the next refresh shows
  // them). Throw sessions::Error with one line.
  void add_bookmark(int32_t file, const sessions::Bookmark& bookmark);
  void remove_bookmark(int32_t file, int64_t bookmark_id);

  // Blocks until every load, refresh and query requested so far is done.
  void wait_idle();
  // The latest background failure, "" when none (the status bar shows it).
  std::string background_error() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::vector<std::shared_ptr<const File>> files_;  // what poll() took
};

}  // namespace ssa::gui
