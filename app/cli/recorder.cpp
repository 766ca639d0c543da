// Recorder: see recorder.h.
#include "app/cli/recorder.h"

namespace ssa::cli {

Recorder::Recorder(sessions::Writer& writer, sessions::RunInfo run, PieceFn piece_of)
    : writer_(writer), piece_of_(std::move(piece_of)) {
  run_id_ = writer_.begin_run(std::move(run));
}

Recorder::Recorder(sessions::Writer& writer, int64_t run_id, int64_t last_kept_step,
                   PieceFn piece_of)
    : writer_(writer), run_id_(run_id), piece_of_(std::move(piece_of)) {
  writer_.reopen_run(run_id, last_kept_step);
}

Recorder::~Recorder() {
  try {
    // Every path that completes says how; reaching here otherwise means an
    // exception is unwinding past the run.
    fail("stopped before the end of the run (an error)");
  } catch (...) {
    // The Writer keeps its first error; flush()/close() report it.
  }
}

void Recorder::on_layout(const trace::LayoutInfo& in) {
  sessions::Layout l;
  l.settings_json = in.settings_json;
  l.token_ids = in.token_ids;
  l.roles = in.roles;
  l.chunk_ids = in.chunk_ids;
  l.group_ids = in.group_ids;
  l.raw_index = in.raw_index;
  l.positions = in.positions;
  l.prefix_length = in.prefix_length;
  l.sink_length = in.sink_length;
  if (piece_of_) {
    l.pieces.reserve(in.token_ids.size());
    for (int64_t id : in.token_ids) l.pieces.push_back(piece_of_(id));
  }
  writer_.write_layout(run_id_, std::move(l));
}

void Recorder::on_mask(const trace::MaskInfo& in) {
  sessions::BlockMask m;
  m.block_size = in.block_size;
  m.previous_chunks = in.previous_chunks;
  m.row_offsets = in.row_offsets;
  m.key_blocks = in.key_blocks;
  m.kinds = in.kinds;
  writer_.write_mask(run_id_, std::move(m));
}

void Recorder::on_train_step(const trace::TrainStep& in) {
  sessions::TrainStepRecord t;
  t.step = in.step;
  t.loss = in.loss;
  t.learning_rate = in.learning_rate;
  t.tokens_per_second = in.tokens_per_second;
  t.grad_norm = in.grad_norm;
  t.is_eval = in.is_eval;
  writer_.write_train_step(run_id_, t);
}

void Recorder::begin_step(int64_t step) {
  if (step != pending_step_) {
    hand_over_pending();
    pending_step_ = step;
  }
}

void Recorder::on_chunk_scores(int64_t step, const trace::ChunkScores& in) {
  begin_step(step);
  Row& row = pending_[in.layer].scores[in.level][in.head];
  row.positions = in.candidates;
  row.scores = in.scores;
}

void Recorder::on_selection(int64_t step, const trace::Selection& in) {
  begin_step(step);
  pending_[in.layer].chosen[in.level][in.head].positions = in.chosen;
}

void Recorder::on_decode_step(const trace::DecodeStep& in) {
  // The step's scores came first; its layer steps are complete now.
  if (in.step == pending_step_) hand_over_pending();
  sessions::DecodeStepRecord d;
  d.step = in.step;
  d.token_id = in.token_id;
  d.text = in.text;
  d.seconds = in.seconds;
  d.keys_scored = in.keys_scored;
  d.keys_read = in.keys_read;
  d.full_mass_coverage = in.full_mass_coverage;
  d.answer_unfolded = in.answer_unfolded;
  writer_.write_decode_step(run_id_, std::move(d));
}

void Recorder::hand_over_pending() {
  for (auto& [layer, rows] : pending_) {
    sessions::LayerStep r;
    r.step = pending_step_;
    r.layer = layer;
    // std::map iterates levels and heads in ascending order, as the Writer requires.
    for (auto& [level, heads] : rows.scores) {
      sessions::LevelScores s;
      s.level = level;
      s.row_offsets.push_back(0);
      for (auto& [head, row] : heads) {
        s.heads.push_back(head);
        s.candidates.insert(s.candidates.end(), row.positions.begin(), row.positions.end());
        s.scores.insert(s.scores.end(), row.scores.begin(), row.scores.end());
        s.row_offsets.push_back(int64_t(s.candidates.size()));
      }
      r.scores.push_back(std::move(s));
    }
    for (auto& [level, heads] : rows.chosen) {
      sessions::LevelSelection c;
      c.level = level;
      c.row_offsets.push_back(0);
      for (auto& [head, row] : heads) {
        c.heads.push_back(head);
        c.chosen.insert(c.chosen.end(), row.positions.begin(), row.positions.end());
        c.row_offsets.push_back(int64_t(c.chosen.size()));
      }
      r.selections.push_back(std::move(c));
    }
    writer_.write_layer_step(run_id_, std::move(r));  // a drop is counted by the Writer
  }
  pending_.clear();
}

void Recorder::finish() {
  if (ended_) return;
  ended_ = true;
  hand_over_pending();
  writer_.end_run(run_id_);
}

void Recorder::fail(const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  pending_.clear();  // a step cut short is not recorded half
  writer_.fail_run(run_id_, reason);
}

void Recorder::leave_incomplete() {
  if (ended_) return;
  ended_ = true;
  hand_over_pending();
}

}  // namespace ssa::cli
