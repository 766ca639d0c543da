// Writer: records a session into a .ssarec file (SQLite, schema.sql).
//
// Every write_* call only moves its record into a bounded in-memory queue and
// returns; a background thread encodes the records (float16 scores, typed
// blobs) and commits them in batched transactions in WAL mode, so the decode
// loop never waits on disk. What happens when the queue is full is the
// caller's explicit choice (WriterOptions::when_full). A batch is durable once
// committed: a process killed afterwards leaves it in the file (synchronous =
// NORMAL: a power cut may lose the last batches, never corrupt the file).
// close() leaves a single file in rollback-journal mode; a Writer that appends
// to it later switches back to WAL.
//
// One Writer per file at a time. The Writer's methods may be called from one
// thread (the engine's); stats() and flush() from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sessions/errors.h"
#include "sessions/records.h"

namespace ssa::sessions {

// What write_layer_step does when the queue is full.
enum class FullQueuePolicy {
  kBlock,       // wait until the writer thread has made room (nothing is lost)
  kDropDetail,  // drop that layer-step record and count it in runs.dropped_details
};

// How candidate scores are stored.
enum class ScoreEncoding {
  kFloat16,  // 2 bytes per score (default; the GUI needs no more)
  kFloat32,  // 4 bytes per score, exact
};

struct WriterOptions {
  size_t max_queue_bytes = size_t(256) << 20;  // bound on records waiting to be written
  FullQueuePolicy when_full = FullQueuePolicy::kBlock;
  ScoreEncoding score_encoding = ScoreEncoding::kFloat16;
  int max_batch_ms = 200;  // a batch commits at least this often while records arrive
  // Start afresh when `path` is already a recording (its runs are deleted);
  // anything that is not a recording is still refused, never overwritten.
  bool replace_existing = false;
  // Run the writer thread at a lower scheduling priority (Linux nice +10) so
  // that on a busy machine it takes CPU the decode thread leaves idle.
  bool low_priority_thread = true;
};

struct WriterStats {
  int64_t records_enqueued = 0;   // records accepted by write_* / begin_run / end_run
  int64_t records_written = 0;    // records committed to the file
  int64_t details_dropped = 0;    // layer-step records dropped (kDropDetail)
  int64_t batches_committed = 0;  // transactions committed
  int64_t blocked_calls = 0;      // write_layer_step calls that had to wait (kBlock)
  size_t queue_bytes = 0;         // bytes waiting now
  size_t queue_high_water = 0;    // most bytes ever waiting
};

class Writer {
 public:
  // Opens `path` for recording: creates it when missing, appends runs when it
  // is a recording of this format (or replaces it: replace_existing), refuses
  // anything else. Throws
  // FormatError / Error with a one-line message naming the file.
  explicit Writer(const std::string& path, WriterOptions options = {});
  // Drains the queue and commits (as close()); never throws.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Starts a run and returns its id (run.id is ignored). created_utc is
  // filled when empty.
  int64_t begin_run(RunInfo run);
  // The run's token stream and training mask (once per run; a second call replaces).
  void write_layout(int64_t run_id, Layout layout);
  void write_mask(int64_t run_id, BlockMask mask);
  void write_train_step(int64_t run_id, const TrainStepRecord& step);
  void write_decode_step(int64_t run_id, DecodeStepRecord step);
  // Scores and selections of one (step, layer). Returns false when the record
  // was dropped by FullQueuePolicy::kDropDetail. Rows must be sorted by head
  // and CSR arrays consistent; violations throw std::invalid_argument here.
  bool write_layer_step(int64_t run_id, LayerStep record);
  // Marks the run finished (runs.finished = 1) and stores its drop counter.
  void end_run(int64_t run_id);
  // Marks the run failed: runs.failure = `reason` (one line), finished = 0.
  void fail_run(int64_t run_id, const std::string& reason);
  // Continues run `run_id` of this file (a resumed training run): it is
  // incomplete again, and its train steps after `last_kept_step` are deleted
  // (they were recorded after the checkpoint the run resumes from). Waits for
  // the change; throws Error when the file has no such run.
  void reopen_run(int64_t run_id, int64_t last_kept_step);

  // Blocks until every record enqueued so far is committed. Throws Error if
  // the writer thread failed (disk full, file removed, ...).
  void flush();
  // flush(), stop the thread, checkpoint the WAL into the main file. Idempotent.
  void close();

  WriterStats stats() const;
  const std::string& path() const;

  struct State;  // shared with the writer thread (writer.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ssa::sessions
