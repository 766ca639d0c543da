// Recorder: the engine's trace::Observer, recorded into a sessions::Writer.
//
// The only place that knows both the engine's trace structs and sessions/.
// The engine reports scores and selections one (layer, head, level) at a
// time; the Recorder assembles them per (step, layer) and hands each complete
// layer step to the Writer when the step's decode record arrives or the next
// step begins. Everything it does on the engine's thread is copying into the
// Writer's queue; disk work happens on the Writer's thread.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/trace/observer.h"
#include "sessions/writer.h"

namespace ssa::cli {

class Recorder : public trace::Observer {
 public:
  // Text of a token id, for the layout's pieces (may be empty: no pieces).
  using PieceFn = std::function<std::string(int64_t token_id)>;

  // Begins `run` in `writer` (which must outlive the Recorder).
  Recorder(sessions::Writer& writer, sessions::RunInfo run, PieceFn piece_of = {});
  // Continues run `run_id` of `writer`'s file (a resumed training run; see
  // Writer::reopen_run): its train steps after `last_kept_step` go.
  Recorder(sessions::Writer& writer, int64_t run_id, int64_t last_kept_step, PieceFn piece_of = {});
  // Without finish(), fail() or leave_incomplete(), the run was cut short by
  // an exception: it is recorded as failed. A Writer failure is left for the
  // Writer to report.
  ~Recorder() override;

  int64_t run_id() const { return run_id_; }

  void on_layout(const trace::LayoutInfo& layout) override;
  void on_mask(const trace::MaskInfo& mask) override;
  void on_train_step(const trace::TrainStep& step) override;
  void on_chunk_scores(int64_t step, const trace::ChunkScores& scores) override;
  void on_selection(int64_t step, const trace::Selection& selection) override;
  void on_decode_step(const trace::DecodeStep& step) override;

  // Hands over the layer steps still being assembled and ends the run as
  // finished. Idempotent, as are the two below; the first call decides.
  void finish();
  // Ends the run as failed, with the first line of `reason` (what stopped it).
  void fail(const std::string& reason);
  // Hands over what is pending and leaves the run incomplete (an interrupted
  // training run, to be continued by --resume).
  void leave_incomplete();

 private:
  // One (level, head) row as the engine reported it.
  struct Row {
    std::vector<int64_t> positions;
    std::vector<float> scores;  // empty for selections
  };
  // level -> head -> row, for scores and selections of one layer.
  struct LayerRows {
    std::map<int32_t, std::map<int32_t, Row>> scores, chosen;
  };

  void begin_step(int64_t step);
  void hand_over_pending();

  sessions::Writer& writer_;
  int64_t run_id_ = 0;
  PieceFn piece_of_;
  int64_t pending_step_ = -1;
  std::map<int32_t, LayerRows> pending_;  // layer -> rows of pending_step_
  bool ended_ = false;
};

// Runs `body`, the work of a recorded run: an exception it throws is recorded
// as the run's failure before it propagates; otherwise the run is finished.
template <typename Body>
void record_run(Recorder& recorder, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    recorder.fail(e.what());
    throw;
  }
  recorder.finish();
}

}  // namespace ssa::cli
