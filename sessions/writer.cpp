// Writer: the bounded queue and the background thread that commits batches.
// See writer.h for the contract. Invariants (asserted): queue_bytes is the sum
// of the queued items' sizes; committed_seq only grows; only the thread
// touches the database after the constructor returns.
#include "sessions/writer.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "sessions/layer_step_codec.h"
#include "sessions/record_checks.h"
#include "sessions/record_store.h"
#include "sessions/recording_format.h"
#include "sessions/sqlite_db.h"

namespace ssa::sessions {
namespace {

struct BeginRunItem {
  RunInfo run;
};
struct LayoutItem {
  int64_t run;
  Layout layout;
};
struct MaskItem {
  int64_t run;
  BlockMask mask;
};
struct TrainItem {
  int64_t run;
  TrainStepRecord step;
};
struct DecodeItem {
  int64_t run;
  DecodeStepRecord step;
};
struct LayerItem {
  int64_t run;
  LayerStep record;
};
struct EndRunItem {
  int64_t run;
};
struct FailRunItem {
  int64_t run;
  std::string reason;
};
struct ReopenRunItem {
  int64_t run;
  int64_t last_kept_step;
};
using Item = std::variant<BeginRunItem, LayoutItem, MaskItem, TrainItem, DecodeItem, LayerItem,
                          EndRunItem, FailRunItem, ReopenRunItem>;

struct Queued {
  Item item;
  size_t bytes;
};

template <class T>
size_t vec_bytes(const std::vector<T>& v) {
  return v.size() * sizeof(T);
}

size_t bytes_of(const LayerStep& r) {
  size_t n = sizeof(LayerStep);
  for (const LevelScores& s : r.scores) {
    n += sizeof s + vec_bytes(s.heads) + vec_bytes(s.candidates) + vec_bytes(s.row_offsets) +
         vec_bytes(s.scores);
  }
  for (const LevelSelection& s : r.selections) {
    n += sizeof s + vec_bytes(s.heads) + vec_bytes(s.row_offsets) + vec_bytes(s.chosen);
  }
  return n;
}

size_t bytes_of(const Layout& l) {
  size_t n = sizeof l + l.settings_json.size() + vec_bytes(l.token_ids) + vec_bytes(l.roles) +
             vec_bytes(l.chunk_ids) + vec_bytes(l.group_ids) + vec_bytes(l.raw_index) +
             vec_bytes(l.positions);
  for (const std::string& p : l.pieces) n += sizeof p + p.size();
  return n;
}

bool file_exists(const std::string& path, int64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  *size = int64_t(st.st_size);
  return true;
}

}  // namespace

struct Writer::State {
  std::string path;
  WriterOptions options;
  std::unique_ptr<Db> db;  // the thread's after construction

  mutable std::mutex mu;
  std::condition_variable work_cv;   // thread: items arrived or stopping
  std::condition_variable space_cv;  // producers: room in the queue
  std::condition_variable done_cv;   // flush(): a batch committed
  std::deque<Queued> queue;
  size_t queue_bytes = 0;
  int64_t enqueued = 0;   // items ever enqueued
  int64_t committed = 0;  // items ever committed (a prefix of the enqueued ones)
  bool stopping = false;
  bool closed = false;
  std::string error;  // first failure of the thread; empty while healthy
  WriterStats stats;
  std::map<int64_t, int64_t> dropped;  // per run: layer steps dropped
  bool dropped_changed = false;
  int64_t next_run_id = 1;
  std::thread thread;

  void enqueue(Item item, size_t bytes);
  void throw_if_failed() const;
  void thread_main();
  void write_one(RecordStore& store, const Item& item);
  int64_t dropped_of(int64_t run);
};

void Writer::State::throw_if_failed() const {
  if (!error.empty()) throw Error(error);
}

void Writer::State::enqueue(Item item, size_t bytes) {
  std::unique_lock<std::mutex> lock(mu);
  throw_if_failed();
  if (stopping) throw Error(path + ": writer is closed");
  queue.push_back(Queued{std::move(item), bytes});
  queue_bytes += bytes;
  ++enqueued;
  ++stats.records_enqueued;
  if (queue_bytes > stats.queue_high_water) stats.queue_high_water = queue_bytes;
  work_cv.notify_one();
}

void Writer::State::write_one(RecordStore& store, const Item& item) {
  if (auto* b = std::get_if<BeginRunItem>(&item)) {
    store.put_run(b->run);
  } else if (auto* l = std::get_if<LayoutItem>(&item)) {
    store.put_layout(l->run, l->layout);
  } else if (auto* m = std::get_if<MaskItem>(&item)) {
    store.put_mask(m->run, m->mask);
  } else if (auto* t = std::get_if<TrainItem>(&item)) {
    store.put_train_step(t->run, t->step);
  } else if (auto* d = std::get_if<DecodeItem>(&item)) {
    store.put_decode_step(d->run, d->step);
  } else if (auto* r = std::get_if<LayerItem>(&item)) {
    store.put_layer_step(r->run, r->record);
  } else if (auto* e = std::get_if<EndRunItem>(&item)) {
    store.end_run(e->run, dropped_of(e->run));
  } else if (auto* f = std::get_if<FailRunItem>(&item)) {
    store.fail_run(f->run, f->reason, dropped_of(f->run));
  } else if (auto* o = std::get_if<ReopenRunItem>(&item)) {
    store.reopen_run(o->run, o->last_kept_step);
  }
}

int64_t Writer::State::dropped_of(int64_t run) {
  std::lock_guard<std::mutex> lock(mu);
  return dropped[run];
}

void Writer::State::thread_main() {
#ifdef __linux__
  // Per-thread on Linux: nice applies to the calling thread (its tid).
  if (options.low_priority_thread) setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), 10);
#endif
  try {
    RecordStore store(
        *db, options.score_encoding == ScoreEncoding::kFloat32 ? Dtype::kFloat32 : Dtype::kFloat16);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) break;  // stopping and drained
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(options.max_batch_ms);
      int64_t in_batch = 0;
      lock.unlock();
      db->exec("BEGIN IMMEDIATE", "starting a batch");
      lock.lock();
      // One batch: everything queued now, and what arrives until the deadline
      // while the queue stays non-empty.
      while (!queue.empty() && std::chrono::steady_clock::now() < deadline) {
        size_t bytes;
        {
          Queued q = std::move(queue.front());
          queue.pop_front();
          lock.unlock();
          bytes = q.bytes;
          write_one(store, q.item);
        }  // the record's memory is freed here, outside the lock
        lock.lock();
        assert(queue_bytes >= bytes);
        queue_bytes -= bytes;
        ++in_batch;
        space_cv.notify_all();
      }
      std::map<int64_t, int64_t> dropped_now;
      if (dropped_changed) dropped_now = dropped;
      dropped_changed = false;
      lock.unlock();
      store.flush_unfolds();
      for (const auto& [run, count] : dropped_now) store.set_dropped(run, count);
      db->exec("COMMIT", "committing a batch");
      lock.lock();
      committed += in_batch;
      stats.records_written += in_batch;
      ++stats.batches_committed;
      done_cv.notify_all();
    }
    // Drops counted after the last batch still reach the file.
    std::map<int64_t, int64_t> dropped_last;
    if (dropped_changed) dropped_last = dropped;
    dropped_changed = false;
    lock.unlock();
    if (!dropped_last.empty()) {
      db->exec("BEGIN IMMEDIATE", "storing the drop counter");
      for (const auto& [run, count] : dropped_last) store.set_dropped(run, count);
      db->exec("COMMIT", "storing the drop counter");
    }
    // Fold the WAL into the main file and leave WAL mode, so that a closed
    // recording is one self-contained file that opens even on read-only
    // media. Both fail harmlessly while a live Reader still has it open.
    sqlite3_wal_checkpoint_v2(db->get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_exec(db->get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu);
    error = e.what();
    queue.clear();
    queue_bytes = 0;
    space_cv.notify_all();
    done_cv.notify_all();
  }
}

Writer::Writer(const std::string& path, WriterOptions options) : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.path = path;
  s.options = options;
  int64_t size = 0;
  bool exists = file_exists(path, &size);
  bool fresh = !exists || size == 0;
  if (!fresh) check_recording_file(path);
  if (!fresh && options.replace_existing) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    fresh = true;
  }
  s.db = std::make_unique<Db>(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  Db& db = *s.db;
  sqlite3_busy_timeout(db.get(), 5000);
  if (fresh) {
    // Schema first in rollback mode, so the main file's header carries the
    // application_id and version before any WAL exists (readers check it).
    db.exec("PRAGMA page_size = 16384", "setting the page size");
    create_recording_schema(db);
  }
  migrate_recording(db, check_recording_identity(db));
  db.exec("PRAGMA journal_mode = WAL", "switching to WAL");
  // NORMAL in WAL mode: a committed batch survives a killed process (not a
  // power cut), and commits do not wait for fsync.
  db.exec("PRAGMA synchronous = NORMAL", "setting synchronous");
  s.next_run_id = db.query_int("SELECT coalesce(max(id), 0) + 1 FROM runs", "reading runs");
  s.thread = std::thread([st = state_] { st->thread_main(); });
}

Writer::~Writer() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() already reported through flush().
  }
}

int64_t Writer::begin_run(RunInfo run) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    run.id = state_->next_run_id++;
  }
  if (run.created_utc.empty()) run.created_utc = utc_now_iso();
  if (run.kind.empty()) run.kind = "decode";
  int64_t id = run.id;
  size_t bytes = sizeof run + run.config_json.size() + run.name.size();
  state_->enqueue(BeginRunItem{std::move(run)}, bytes);
  return id;
}

void Writer::write_layout(int64_t run_id, Layout layout) {
  validate_layout(layout);
  size_t bytes = bytes_of(layout);
  state_->enqueue(LayoutItem{run_id, std::move(layout)}, bytes);
}

void Writer::write_mask(int64_t run_id, BlockMask mask) {
  validate_mask(mask);
  size_t bytes = sizeof mask + vec_bytes(mask.row_offsets) + vec_bytes(mask.key_blocks) +
                 vec_bytes(mask.kinds);
  state_->enqueue(MaskItem{run_id, std::move(mask)}, bytes);
}

void Writer::write_train_step(int64_t run_id, const TrainStepRecord& step) {
  state_->enqueue(TrainItem{run_id, step}, sizeof step);
}

void Writer::write_decode_step(int64_t run_id, DecodeStepRecord step) {
  size_t bytes = sizeof step + step.text.size();
  state_->enqueue(DecodeItem{run_id, std::move(step)}, bytes);
}

bool Writer::write_layer_step(int64_t run_id, LayerStep record) {
  validate_layer_step(record);
  size_t bytes = bytes_of(record);
  State& s = *state_;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.throw_if_failed();
    // A record larger than the whole bound is admitted into an empty queue.
    auto has_room = [&] {
      return s.queue_bytes == 0 || s.queue_bytes + bytes <= s.options.max_queue_bytes ||
             !s.error.empty();
    };
    if (!has_room()) {
      if (s.options.when_full == FullQueuePolicy::kDropDetail) {
        ++s.dropped[run_id];
        ++s.stats.details_dropped;
        s.dropped_changed = true;
        return false;
      }
      ++s.stats.blocked_calls;
      s.space_cv.wait(lock, has_room);
      s.throw_if_failed();
    }
  }
  s.enqueue(LayerItem{run_id, std::move(record)}, bytes);
  return true;
}

void Writer::end_run(int64_t run_id) {
  state_->enqueue(EndRunItem{run_id}, sizeof(EndRunItem));
}

void Writer::fail_run(int64_t run_id, const std::string& reason) {
  // One line, as every status the GUI and `info` print.
  std::string line = reason.substr(0, reason.find('\n'));
  if (line.empty()) line = "failed";
  size_t bytes = sizeof(FailRunItem) + line.size();
  state_->enqueue(FailRunItem{run_id, std::move(line)}, bytes);
}

void Writer::reopen_run(int64_t run_id, int64_t last_kept_step) {
  state_->enqueue(ReopenRunItem{run_id, last_kept_step}, sizeof(ReopenRunItem));
  flush();
}

void Writer::flush() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  int64_t target = s.enqueued;
  s.done_cv.wait(lock, [&] { return s.committed >= target || !s.error.empty(); });
  s.throw_if_failed();
}

void Writer::close() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.closed) {
      s.throw_if_failed();
      return;
    }
    s.closed = true;
    s.stopping = true;
    s.work_cv.notify_all();
  }
  if (s.thread.joinable()) s.thread.join();
  s.db.reset();
  std::lock_guard<std::mutex> lock(s.mu);
  s.throw_if_failed();
}

WriterStats Writer::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  WriterStats out = state_->stats;
  out.queue_bytes = state_->queue_bytes;
  return out;
}

const std::string& Writer::path() const {
  return state_->path;
}

}  // namespace ssa::sessions
