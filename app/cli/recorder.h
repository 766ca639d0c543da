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
  // Calls finish(); a Writer failure is left for the Writer to report.
  ~Recorder() override;

  int64_t run_id() const { return run_id_; }

  void on_layout(const trace::LayoutInfo& layout) override;
  void on_mask(const trace::MaskInfo& mask) override;
  void on_train_step(const trace::TrainStep& step) override;
  void on_chunk_scores(int64_t step, const trace::ChunkScores& scores) override;
  void on_selection(int64_t step, const trace::Selection& selection) override;
  void on_decode_step(const trace::DecodeStep& step) override;

  // Hands over the layer steps still being assembled and ends the run. Idempotent.
  void finish();
  // Layer steps the Writer dropped (FullQueuePolicy::kDropDetail).
  int64_t dropped_layer_steps() const { return dropped_; }

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
  int64_t dropped_ = 0;
  bool finished_ = false;
};

}  // namespace ssa::cli
