// RecordStore: writes records into an open recording with prepared statements.
//
// Used only by the Writer's background thread, inside the transaction the
// Writer opened; it never commits. It deduplicates candidate sets and
// aggregates unfolds per (run, level, id, step) until flush_unfolds().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sessions/blob_codec.h"
#include "sessions/records.h"
#include "sessions/sqlite_db.h"

namespace ssa::sessions {

class RecordStore {
 public:
  RecordStore(Db& db, Dtype score_dtype);
  ~RecordStore();

  void put_run(const RunInfo& run);
  void put_layout(int64_t run_id, const Layout& layout);
  void put_mask(int64_t run_id, const BlockMask& mask);
  void put_train_step(int64_t run_id, const TrainStepRecord& step);
  void put_decode_step(int64_t run_id, const DecodeStepRecord& step);
  void put_layer_step(int64_t run_id, const LayerStep& record);
  void end_run(int64_t run_id, int64_t dropped_details);
  void fail_run(int64_t run_id, const std::string& reason, int64_t dropped_details);
  // Throws Error when there is no run `run_id`.
  void reopen_run(int64_t run_id, int64_t last_kept_step);
  void set_dropped(int64_t run_id, int64_t dropped_details);
  // Writes the unfolds aggregated since the last call (before each commit).
  void flush_unfolds();

 private:
  int64_t candidate_set_id(int64_t run_id, const std::vector<int64_t>& positions);

  struct Statements;
  Db& db_;
  Dtype score_dtype_;
  std::unique_ptr<Statements> st_;
  // Chunk and group ids per run, to map chosen gists to what they close.
  struct RunIds {
    int num_levels = 1;
    std::vector<int32_t> chunk_ids, group_ids;
  };
  std::unordered_map<int64_t, RunIds> run_ids_;
  // Candidate sets written so far, by content hash (bounded; see .cpp).
  struct KnownSet {
    int64_t id, run_id;
    std::vector<int64_t> positions;
  };
  std::unordered_multimap<uint64_t, KnownSet> known_sets_;
  size_t known_set_entries_ = 0;
  // (run, step, level) -> per id: layer mask and picks, written at
  // flush_unfolds(). Dense by id: a step touches thousands of chunks.
  struct StepUnfolds {
    std::vector<uint64_t> layer_masks;
    std::vector<int32_t> picks;
  };
  std::map<std::tuple<int64_t, int64_t, int32_t>, StepUnfolds> unfolds_;
};

}  // namespace ssa::sessions
