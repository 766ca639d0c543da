// Worker (see worker.h): the loader, the step, aggregate and raster threads,
// and their bounded caches.
#include "app/gui/model/worker.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "app/gui/model/async_slot.h"
#include "sessions/notebook.h"

namespace ssa::gui {
namespace {

using Clock = std::chrono::steady_clock;
using Run = Worker::Run;

// --- request keys ------------------------------------------------------------
struct StepKey {
  RunRef run;
  int64_t step;
  int32_t layer, head;
  bool operator==(const StepKey& o) const {
    return run == o.run && step == o.step && layer == o.layer && head == o.head;
  }
};
struct UnfoldKey {
  RunRef run;
  int64_t step;
  bool operator==(const UnfoldKey& o) const { return run == o.run && step == o.step; }
};
struct SeriesKey {
  RunRef run;
  int32_t layer, level, head;
  int64_t position;
  bool operator==(const SeriesKey& o) const {
    return run == o.run && layer == o.layer && level == o.level && head == o.head &&
           position == o.position;
  }
};
struct PairStepKey {
  RunRef a, b;
  int64_t step;
  bool operator==(const PairStepKey& o) const { return a == o.a && b == o.b && step == o.step; }
};
struct PairKey {
  RunRef a, b;
  bool operator==(const PairKey& o) const { return a == o.a && b == o.b; }
};

// A Reader per recording for one worker thread (Readers are per thread),
// refreshed when a request carries a newer snapshot than it has seen.
class ReaderPool {
 public:
  explicit ReaderPool(std::function<std::string(int32_t)> path_of) : path_of_(std::move(path_of)) {}
  sessions::Reader& get(const RunData& run) {
    Entry& e = readers_[run.id.file];
    if (!e.reader) {
      e.reader = std::make_unique<sessions::Reader>(path_of_(run.id.file));
      e.generation = run.generation;
    } else if (run.generation > e.generation) {
      e.reader->refresh();
      e.generation = run.generation;
    }
    return *e.reader;
  }

 private:
  struct Entry {
    std::unique_ptr<sessions::Reader> reader;
    int64_t generation = 0;
  };
  std::function<std::string(int32_t)> path_of_;
  std::map<int32_t, Entry> readers_;
};

// Least-recently-used cache bounded by the bytes of its values.
template <class Key, class Value>
class LruCache {
 public:
  explicit LruCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  std::shared_ptr<const Value> get(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }
  void put(const Key& key, std::shared_ptr<const Value> value, size_t bytes) {
    if (auto it = index_.find(key); it != index_.end()) {
      bytes_ -= it->second->bytes;
      order_.erase(it->second);
      index_.erase(it);
    }
    order_.push_front({key, std::move(value), bytes});
    index_[key] = order_.begin();
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && order_.size() > 1) {
      bytes_ -= order_.back().bytes;
      index_.erase(order_.back().key);
      order_.pop_back();
    }
  }

 private:
  struct Item {
    Key key;
    std::shared_ptr<const Value> value;
    size_t bytes;
  };
  size_t max_bytes_, bytes_ = 0;
  std::list<Item> order_;
  std::map<Key, typename std::list<Item>::iterator> index_;
};

size_t bytes_of(const sessions::LayerStep& r) {
  size_t n = sizeof(r);
  for (const auto& s : r.scores)
    n += s.heads.size() * 4 + s.candidates.size() * 8 + s.row_offsets.size() * 8 +
         s.scores.size() * 4;
  for (const auto& s : r.selections)
    n += s.heads.size() * 4 + s.row_offsets.size() * 8 + s.chosen.size() * 8;
  return n;
}

// Level-0 chunk ids any layer unfolded at one step.
std::vector<int32_t> unfolded_chunks(sessions::Reader& reader, const RunData& run, int64_t step) {
  if (!run.layout) return {};
  return make_step_unfolds(*run.layout, reader.unfolds_at(run.info.id, step), step).chunks();
}

bool has_choices(const RunData& run) {
  return run.layout && run.detail_steps.count > 0;
}

}  // namespace

bool Worker::File::growing() const {
  for (const auto& r : runs)
    if (!r->ended()) return true;
  return false;
}

// --- the threads ---------------------------------------------------------------
struct Worker::Impl {
  Impl()
      : step_readers([this](int32_t f) { return path_of(f); }),
        aggregate_readers([this](int32_t f) { return path_of(f); }),
        detail(step_thread, [this](const StepKey& k, auto&) { return load_head_step(k); }),
        unfold(step_thread, [this](const UnfoldKey& k, auto&) { return load_unfolds(k); }),
        pair_step(step_thread, [this](const PairStepKey& k, auto&) { return load_pair_step(k); }),
        series(step_thread, [this](const SeriesKey& k, auto&) { return load_series(k); }),
        timeline(aggregate_thread, [this](const TimelineRequest& k,
                                          auto& progress) { return build_timeline(k, progress); }),
        compare(aggregate_thread,
                [this](const PairKey& k, auto& progress) { return build_compare(k, progress); }),
        raster(raster_thread,
               [](const MaskRasterKey& k, auto& progress) -> std::shared_ptr<const MaskRaster> {
                 auto r = std::make_shared<MaskRaster>(
                     gui::rasterize(k, [&] { return progress.cancelled(); }));
                 return r->rgba.empty() ? nullptr : r;
               }),
        blocks(raster_thread, [](const BlockImageKey& k, auto&) {
          return std::make_shared<const BlockImage>(gui::block_image(k));
        }) {
    step_thread.start();
    aggregate_thread.start();
    raster_thread.start();
    loader = std::thread([this] { loader_main(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    loader_wake.notify_all();
    loader.join();
    step_thread.stop();
    aggregate_thread.stop();
    raster_thread.stop();
  }

  std::string path_of(int32_t file) {
    std::lock_guard<std::mutex> lock(mutex);
    return file >= 0 && file < static_cast<int32_t>(entries.size()) ? entries[file]->path : "";
  }

  // --- loader ------------------------------------------------------------------
  struct Entry {
    std::string path;
    bool wait_for_file = false;
    std::unique_ptr<sessions::Reader> reader;  // loader thread only
    std::shared_ptr<const File> file;          // the latest published state
  };

  void publish(int32_t index, File file) {
    std::lock_guard<std::mutex> lock(mutex);
    entries[index]->file = std::make_shared<const File>(std::move(file));
    ++version;
  }

  // Opens the file and reads every run (loader thread).
  void load(int32_t index, Entry& entry) {
    File file;
    file.index = index;
    file.path = entry.path;
    std::error_code ec;
    if (!std::filesystem::exists(entry.path, ec)) {
      file.status = entry.wait_for_file ? FileStatus::kWaiting : FileStatus::kFailed;
      file.error = entry.wait_for_file ? "" : entry.path + ": no such recording file";
      publish(index, std::move(file));
      return;
    }
    try {
      entry.reader = std::make_unique<sessions::Reader>(entry.path);
      file.status = FileStatus::kReady;
      for (const auto& info : entry.reader->runs())
        file.runs.push_back(load_run(*entry.reader, info, RunId{index, info.id}, 0, nullptr));
    } catch (const std::exception& e) {
      entry.reader.reset();
      // A recorder that has created the file but not its schema yet: keep waiting.
      file.status = entry.wait_for_file ? FileStatus::kWaiting : FileStatus::kFailed;
      file.error = e.what();
      file.runs.clear();
    }
    publish(index, std::move(file));
  }

  // Extends the snapshots with what was committed since (loader thread).
  void refresh(int32_t index, Entry& entry) {
    File file = *entry.file;
    try {
      if (!entry.reader->refresh()) return;
      ++file.generation;
      std::vector<std::shared_ptr<const RunData>> runs;
      for (const auto& info : entry.reader->runs()) {
        std::shared_ptr<const RunData> previous;
        for (const auto& r : entry.file->runs)
          if (r->info.id == info.id) previous = r;
        runs.push_back(
            load_run(*entry.reader, info, RunId{index, info.id}, file.generation, previous));
      }
      file.runs = std::move(runs);
      file.error.clear();
    } catch (const std::exception& e) {
      file.error = e.what();
    }
    publish(index, std::move(file));
  }

  void loader_main() {
    std::unique_lock<std::mutex> lock(mutex);
    auto next_refresh = Clock::now();
    while (!stopping) {
      const auto now = Clock::now();
      const bool due = follow && now >= next_refresh;
      bool unloaded = false, waiting = false;
      for (const auto& e : entries) {
        if (!e->file) unloaded = true;
        if (e->file && e->file->status == FileStatus::kWaiting) waiting = true;
      }
      if (!due && !refresh_requested && !unloaded && !retry_waiting) {
        loader_busy = false;
        loader_idle.notify_all();
        if (follow || waiting)
          loader_wake.wait_until(
              lock, waiting ? std::min(next_refresh, now + std::chrono::milliseconds(200))
                            : next_refresh);
        else
          loader_wake.wait(lock);
        retry_waiting = waiting;
        continue;
      }
      loader_busy = true;
      const bool refresh_all = due || refresh_requested;
      refresh_requested = false;
      retry_waiting = false;
      if (due)
        next_refresh = now + std::chrono::milliseconds(static_cast<int64_t>(interval * 1000));
      std::vector<std::pair<int32_t, Entry*>> work;
      for (size_t i = 0; i < entries.size(); ++i)
        work.emplace_back(static_cast<int32_t>(i), entries[i].get());
      lock.unlock();
      for (auto [index, entry] : work) {
        const bool opened = entry->reader != nullptr;
        const FileStatus status = entry->file ? entry->file->status : FileStatus::kLoading;
        if (!opened && (!entry->file || status == FileStatus::kWaiting))
          load(index, *entry);
        else if (opened && refresh_all)
          refresh(index, *entry);
      }
      lock.lock();
    }
  }

  // --- step thread -------------------------------------------------------------
  std::shared_ptr<const sessions::LayerStep> layer_step(const RunData& run, int64_t step,
                                                        int32_t layer) {
    const auto key = std::make_tuple(run.id.file, run.id.run, step, layer);
    if (auto cached = detail_cache.get(key)) return cached;
    auto loaded = step_readers.get(run).layer_step(run.info.id, step, layer);
    if (!loaded) return nullptr;  // not cached: a live writer may add it
    auto record = std::make_shared<const sessions::LayerStep>(std::move(*loaded));
    detail_cache.put(key, record, bytes_of(*record));
    return record;
  }

  std::shared_ptr<const HeadStep> load_head_step(const StepKey& k) {
    const auto held = k.run.lock();  // null: replaced since it was asked for
    if (!held || !held->layout) return nullptr;
    const RunData& run = *held;
    auto record = layer_step(run, k.step, k.layer);
    return std::make_shared<const HeadStep>(
        make_head_step(*run.layout, record.get(), k.step, k.layer, k.head));
  }

  std::shared_ptr<const StepUnfolds> load_unfolds(const UnfoldKey& k) {
    const auto held = k.run.lock();
    if (!held || !held->layout) return nullptr;
    const RunData& run = *held;
    auto& reader = step_readers.get(run);
    return std::make_shared<const StepUnfolds>(
        make_step_unfolds(*run.layout, reader.unfolds_at(run.info.id, k.step), k.step));
  }

  std::shared_ptr<const CompareStep> load_pair_step(const PairStepKey& k) {
    const auto a = k.a.lock(), b = k.b.lock();
    if (!a || !b) return nullptr;
    auto out = std::make_shared<CompareStep>();
    out->step = k.step;
    if (has_choices(*a)) {
      out->chunks_a = unfolded_chunks(step_readers.get(*a), *a, k.step);
      out->raw_a = raw_ranges_of(*a->layout, out->chunks_a);
    }
    if (has_choices(*b)) {
      out->chunks_b = unfolded_chunks(step_readers.get(*b), *b, k.step);
      out->raw_b = raw_ranges_of(*b->layout, out->chunks_b);
    }
    out->overlap = raw_overlap(out->raw_a, out->raw_b);
    return out;
  }

  std::shared_ptr<const ScoreSeries> load_series(const SeriesKey& k) {
    const auto run = k.run.lock();
    if (!run) return nullptr;
    return std::make_shared<const ScoreSeries>(
        step_readers.get(*run).score_series(run->info.id, k.layer, k.level, k.head, k.position));
  }

  // --- aggregate thread ----------------------------------------------------------
  using RowKey =
      std::tuple<int32_t, int64_t, int32_t, int32_t, int32_t, int32_t, int32_t, int, int64_t>;

  std::shared_ptr<const TimelineImage> build_timeline(
      const TimelineRequest& r, AsyncSlot<TimelineRequest, TimelineImage>::Progress& progress) {
    const auto held = r.run.lock();
    if (!held) return nullptr;
    auto image = std::make_shared<TimelineImage>();
    image->request = r;
    const RunData& run = *held;
    if (!run.layout || !r.palette || r.columns.width <= 0) return image;
    const size_t first = std::min(r.first_index, run.steps.size());
    const size_t count = std::min(r.step_count, run.steps.size() - first);
    if (count == 0) return image;
    image->request.first_index = first;
    image->request.step_count = count;
    const size_t rows = std::min(count, static_cast<size_t>(std::max(1, r.max_rows)));
    image->steps_per_row = (count + rows - 1) / rows;
    image->width = r.columns.width;
    image->height = static_cast<int>((count + image->steps_per_row - 1) / image->steps_per_row);
    const size_t cells = static_cast<size_t>(image->width) * image->height;
    image->rgba.assign(cells, r.palette->unrecorded);
    image->cell_score.assign(cells, 0.0f);
    image->cell_picked.assign(cells, 0);
    image->row_lo.assign(static_cast<size_t>(image->height), 0.0f);
    image->row_hi.assign(static_cast<size_t>(image->height), 0.0f);
    auto& reader = aggregate_readers.get(run);
    // A live refresh: the previous picture of the same steps, binned alike,
    // keeps its final rows (a rebuild, when the binning changes, shows the
    // previous picture until it is done rather than a half-painted one).
    const TimelineImage* before = last_timeline.get();
    const bool same_view = before && before->rows_done == before->height &&
                           before->request.run.id == run.id && same_view_of(before->request, r) &&
                           before->request.first_index == first &&
                           before->request.step_count <= count && before->width == image->width &&
                           run.steps[first] == last_timeline_first &&
                           run.steps[first + before->request.step_count - 1] == last_timeline_last;
    int y0 = 0;
    if (same_view && before->steps_per_row == image->steps_per_row) {
      y0 = std::min(before->final_rows, image->height);
      const size_t kept = static_cast<size_t>(y0) * image->width;
      std::copy_n(before->rgba.begin(), kept, image->rgba.begin());
      std::copy_n(before->cell_score.begin(), kept, image->cell_score.begin());
      std::copy_n(before->cell_picked.begin(), kept, image->cell_picked.begin());
      std::copy_n(before->row_lo.begin(), y0, image->row_lo.begin());
      std::copy_n(before->row_hi.begin(), y0, image->row_hi.begin());
      image->rows_done = image->final_rows = y0;
    }
    auto last_publish = Clock::now();
    std::vector<std::shared_ptr<const TimelineRow>> rows_held;
    std::vector<const TimelineRow*> bin;
    bool final_so_far = true;
    for (int y = y0; y < image->height; ++y) {
      if (progress.cancelled()) return nullptr;
      const auto [s0, s1] = image->row_steps(y);
      rows_held.clear();
      bin.clear();
      bool row_final = s1 - s0 + 1 == image->steps_per_row;
      for (size_t i = s0; i <= s1; ++i) {
        const int64_t step = run.steps[i];
        const RowKey key{
            run.id.file,     run.id.run,           r.layer,         r.head, r.columns.level,
            r.columns.first, r.columns.per_column, r.columns.width, step};
        auto row = rows_cache.get(key);
        if (!row) {
          auto record = reader.layer_step(run.info.id, step, r.layer);
          auto made = std::make_shared<const TimelineRow>(
              make_timeline_row(*run.layout, record ? &*record : nullptr, r.head, r.columns));
          if (made->recorded) rows_cache.put(key, made, made->bytes());
          row = made;
        }
        row_final = row_final && row->recorded;  // a live writer may still add it
        rows_held.push_back(row);
        bin.push_back(row.get());
      }
      paint_timeline_row(*image, y, bin);
      image->rows_done = y + 1;
      final_so_far = final_so_far && row_final;
      if (final_so_far) image->final_rows = y + 1;
      if (!same_view && Clock::now() - last_publish > std::chrono::milliseconds(120) &&
          y + 1 < image->height) {
        progress.publish(std::make_shared<const TimelineImage>(*image));
        last_publish = Clock::now();
      }
    }
    last_timeline = image;
    last_timeline_first = run.steps[first];
    last_timeline_last = run.steps[first + count - 1];
    return image;
  }

  // Requests for the same picture of a run, whatever its snapshot and step window.
  static bool same_view_of(const TimelineRequest& a, const TimelineRequest& b) {
    return a.layer == b.layer && a.head == b.head && a.columns == b.columns &&
           a.max_rows == b.max_rows && a.palette == b.palette;
  }

  std::shared_ptr<const CompareSeries> build_compare(
      const PairKey& k, AsyncSlot<PairKey, CompareSeries>::Progress& progress) {
    const auto held_a = k.a.lock(), held_b = k.b.lock();
    if (!held_a || !held_b) return nullptr;
    auto out = std::make_shared<CompareSeries>();
    const RunData& a = *held_a;
    const RunData& b = *held_b;
    if (!has_choices(a) || !has_choices(b)) return out;
    std::vector<int64_t> common;
    std::set_intersection(a.steps.begin(), a.steps.end(), b.steps.begin(), b.steps.end(),
                          std::back_inserter(common));
    out->total = common.size();
    // Steps already compared (for an older snapshot of the same pair) are kept.
    const auto pair = std::make_pair(a.id, b.id);
    if (compared.size() >= 8 && !compared.count(pair)) compared.clear();
    auto& steps_done = compared[pair];
    auto& reader_a = aggregate_readers.get(a);
    auto last_publish = Clock::now();
    for (int64_t step : common) {
      if (progress.cancelled()) return nullptr;
      auto it = steps_done.find(step);
      if (it == steps_done.end()) {
        const auto ra = raw_ranges_of(*a.layout, unfolded_chunks(reader_a, a, step));
        const auto rb =
            raw_ranges_of(*b.layout, unfolded_chunks(aggregate_readers.get(b), b, step));
        it = steps_done.emplace(step, static_cast<float>(raw_overlap(ra, rb).jaccard())).first;
      }
      out->steps.push_back(step);
      out->jaccard.push_back(it->second);
      if (Clock::now() - last_publish > std::chrono::milliseconds(150)) {
        progress.publish(std::make_shared<const CompareSeries>(*out));
        last_publish = Clock::now();
      }
    }
    return out;
  }

  // Loader state, guarded by `mutex`.
  std::mutex mutex;
  std::condition_variable loader_wake, loader_idle;
  std::vector<std::unique_ptr<Entry>> entries;
  uint64_t version = 0;  // grows with every publish
  bool follow = false, refresh_requested = false, loader_busy = true, stopping = false;
  bool retry_waiting = false;
  double interval = 0.5;

  // Caches: each used by one thread only. The detail cache holds the layer
  // steps around the one shown (stepping back and forth is instant); the
  // rows cache a timeline's per-step rows of late (a zoom back reads few).
  // A live refresh reads only its new steps through last_timeline, so the
  // rows cache needs no row for every step of a long run.
  LruCache<std::tuple<int32_t, int64_t, int64_t, int32_t>, sessions::LayerStep> detail_cache{
      size_t(4) << 20};
  LruCache<RowKey, TimelineRow> rows_cache{size_t(4) << 20};
  // The last finished timeline picture (aggregate thread; its request names
  // the run), with the first and last steps it was painted from: numbers its
  // snapshot held, which a live refresh may since have let go.
  std::shared_ptr<const TimelineImage> last_timeline;
  int64_t last_timeline_first = 0, last_timeline_last = 0;
  std::map<std::pair<RunId, RunId>, std::map<int64_t, float>> compared;

  // Threads before the slots they serve (slots register with their thread).
  SlotThread step_thread, aggregate_thread, raster_thread;
  ReaderPool step_readers, aggregate_readers;
  AsyncSlot<StepKey, HeadStep> detail;
  AsyncSlot<UnfoldKey, StepUnfolds> unfold;
  AsyncSlot<PairStepKey, CompareStep> pair_step;
  AsyncSlot<SeriesKey, ScoreSeries> series;
  AsyncSlot<TimelineRequest, TimelineImage> timeline;
  AsyncSlot<PairKey, CompareSeries> compare;
  AsyncSlot<MaskRasterKey, MaskRaster> raster;
  AsyncSlot<BlockImageKey, BlockImage> blocks;
  std::thread loader;
  uint64_t polled_version = 0;  // GUI thread
};

// --- Worker --------------------------------------------------------------------
Worker::Worker() : impl_(std::make_unique<Impl>()) {}
Worker::~Worker() = default;

int32_t Worker::open(const std::string& path, bool wait_for_file) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto entry = std::make_unique<Impl::Entry>();
  entry->path = path;
  entry->wait_for_file = wait_for_file;
  impl_->entries.push_back(std::move(entry));
  impl_->loader_busy = true;
  impl_->loader_wake.notify_all();
  return static_cast<int32_t>(impl_->entries.size() - 1);
}

void Worker::set_follow(bool follow, double interval_seconds) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->follow = follow;
  impl_->interval = std::max(0.0, interval_seconds);
  impl_->loader_wake.notify_all();
}

void Worker::refresh_now() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->refresh_requested = true;
  impl_->loader_busy = true;
  impl_->loader_wake.notify_all();
}

bool Worker::poll() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->version == impl_->polled_version && files_.size() == impl_->entries.size())
    return false;
  impl_->polled_version = impl_->version;
  files_.clear();
  for (size_t i = 0; i < impl_->entries.size(); ++i) {
    auto file = impl_->entries[i]->file;
    if (!file) {
      auto loading = std::make_shared<File>();
      loading->index = static_cast<int32_t>(i);
      loading->path = impl_->entries[i]->path;
      file = loading;
    }
    files_.push_back(std::move(file));
  }
  return true;
}

std::shared_ptr<const RunData> Worker::run(RunId id) const {
  if (id.file < 0 || id.file >= static_cast<int32_t>(files_.size())) return nullptr;
  for (const auto& r : files_[id.file]->runs)
    if (r->info.id == id.run) return r;
  return nullptr;
}

std::vector<std::shared_ptr<const RunData>> Worker::runs() const {
  std::vector<std::shared_ptr<const RunData>> out;
  for (const auto& f : files_)
    if (f->status == FileStatus::kReady) out.insert(out.end(), f->runs.begin(), f->runs.end());
  return out;
}

RunId Worker::default_run(int32_t file) const {
  auto all = runs();
  if (file >= 0)
    all.erase(
        std::remove_if(all.begin(), all.end(), [&](const auto& r) { return r->id.file != file; }),
        all.end());
  for (const auto& r : all)
    if (r->has_layout() && r->is_decode()) return r->id;
  for (const auto& r : all)
    if (r->is_training()) return r->id;
  for (const auto& r : all)
    if (r->has_layout()) return r->id;
  return all.empty() ? RunId{} : all.front()->id;
}

std::shared_ptr<const HeadStep> Worker::head_step(const Run& run, int64_t step, int32_t layer,
                                                  int32_t head, bool* exact) {
  if (!run || !run->layout) return nullptr;
  return impl_->detail.get({run, step, layer, head}, exact);
}

std::shared_ptr<const StepUnfolds> Worker::unfolds(const Run& run, int64_t step, bool* exact) {
  if (!run || !run->layout) return nullptr;
  return impl_->unfold.get({run, step}, exact);
}

std::shared_ptr<const ScoreSeries> Worker::score_series(const Run& run, int32_t layer,
                                                        int32_t level, int32_t head,
                                                        int64_t position) {
  if (!run) return nullptr;
  return impl_->series.get({run, layer, level, head, position});
}

std::shared_ptr<const CompareStep> Worker::compare_step(const Run& a, const Run& b, int64_t step) {
  if (!a || !b) return nullptr;
  return impl_->pair_step.get({a, b, step});
}

std::shared_ptr<const CompareSeries> Worker::compare_series(const Run& a, const Run& b) {
  if (!a || !b) return nullptr;
  return impl_->compare.get({a, b});
}

std::shared_ptr<const TimelineImage> Worker::timeline(const TimelineRequest& request) {
  if (!request.run.id.valid() || !request.palette) return nullptr;
  return impl_->timeline.get(request);
}

std::shared_ptr<const MaskRaster> Worker::mask_raster(const MaskRasterKey& key) {
  if (!key.layout || !key.palette) return nullptr;
  return impl_->raster.get(key);
}

std::shared_ptr<const BlockImage> Worker::block_image(const BlockImageKey& key) {
  if (!key.layout || !key.mask || !key.palette) return nullptr;
  return impl_->blocks.get(key);
}

void Worker::add_bookmark(int32_t file, const sessions::Bookmark& bookmark) {
  sessions::Notebook(impl_->path_of(file)).add(bookmark);
  refresh_now();
}

void Worker::remove_bookmark(int32_t file, int64_t bookmark_id) {
  sessions::Notebook(impl_->path_of(file)).remove(bookmark_id);
  refresh_now();
}

void Worker::wait_idle() {
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->loader_idle.wait(lock, [&] { return !impl_->loader_busy || impl_->stopping; });
  }
  impl_->step_thread.wait_idle();
  impl_->aggregate_thread.wait_idle();
  impl_->raster_thread.wait_idle();
}

std::string Worker::background_error() const {
  for (const std::string& e :
       {impl_->detail.error(), impl_->unfold.error(), impl_->pair_step.error(),
        impl_->series.error(), impl_->timeline.error(), impl_->compare.error(),
        impl_->raster.error(), impl_->blocks.error()})
    if (!e.empty()) return e;
  return "";
}

}  // namespace ssa::gui
