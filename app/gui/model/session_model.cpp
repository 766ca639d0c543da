// SessionModel (see session_model.h): the open-time loads and the three
// background workers (step detail, timeline aggregation, run comparison).
#include "app/gui/model/session_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <list>
#include <map>
#include <tuple>

#include "app/gui/core/theme.h"
#include "sessions/notebook.h"

namespace ssa::gui {
namespace {

using Clock = std::chrono::steady_clock;

// --- keys of the background requests ----------------------------------------
struct DetailKey {
  const RunData* run;
  int64_t step;
  int32_t layer, head;
  bool operator==(const DetailKey& o) const {
    return run == o.run && step == o.step && layer == o.layer && head == o.head;
  }
};
// Keys by run id carry the refresh generation, so live data is reloaded.
struct UnfoldKey {
  int64_t run_id, step;
  int generation;
  bool operator==(const UnfoldKey& o) const {
    return run_id == o.run_id && step == o.step && generation == o.generation;
  }
};
struct TimelineKey {
  const RunData* run;
  int32_t layer, head, level, max_columns;
  bool operator==(const TimelineKey& o) const {
    return run == o.run && layer == o.layer && head == o.head && level == o.level &&
           max_columns == o.max_columns;
  }
};
struct SeriesKey {
  int64_t run_id;
  int32_t layer, level, head;
  int64_t position;
  int generation;
  bool operator==(const SeriesKey& o) const {
    return run_id == o.run_id && layer == o.layer && level == o.level && head == o.head &&
           position == o.position && generation == o.generation;
  }
};
struct CompareStepKey {
  int64_t a, b, step;
  int generation;
  bool operator==(const CompareStepKey& o) const {
    return a == o.a && b == o.b && step == o.step && generation == o.generation;
  }
};
struct CompareKey {
  int64_t a, b;
  sessions::StepRange range;
  int generation;
  bool operator==(const CompareKey& o) const {
    return a == o.a && b == o.b && generation == o.generation;
  }
};

// Parses what the views show about the layout settings and the task.
void read_settings(RunData& run) {
  try {
    const auto settings = nlohmann::json::parse(run.layout->settings_json);
    std::string summary = "chunk " + std::to_string(settings.value("chunk", 0));
    if (settings.contains("group_sizes") && settings["group_sizes"].is_array())
      for (const auto& c : settings["group_sizes"]) summary += "-" + std::to_string(c.get<int>());
    summary += ", sink " + std::to_string(settings.value("sink", 0));
    if (run.mask) summary += ", p " + std::to_string(run.mask->previous_chunks);
    run.settings_summary = summary;
  } catch (const std::exception&) {
    run.settings_summary = "settings unreadable";
  }
  try {
    const auto config = nlohmann::json::parse(run.info.config_json);
    auto add_chunk = [&](int64_t chunk) {
      if (chunk >= 0 && chunk < run.index.num_chunks())
        run.answer_chunks.push_back(static_cast<int32_t>(chunk));
    };
    auto add_position = [&](int64_t pos) {
      if (pos >= 0 && pos < run.index.length()) add_chunk(run.index.span_of(pos, 0));
    };
    for (const char* key : {"answer_chunk", "answer_chunks"}) {
      if (!config.contains(key)) continue;
      if (config[key].is_array())
        for (const auto& v : config[key]) add_chunk(v.get<int64_t>());
      else if (config[key].is_number_integer())
        add_chunk(config[key].get<int64_t>());
    }
    for (const char* key : {"answer_position", "answer_positions"}) {
      if (!config.contains(key)) continue;
      if (config[key].is_array())
        for (const auto& v : config[key]) add_position(v.get<int64_t>());
      else if (config[key].is_number_integer())
        add_position(config[key].get<int64_t>());
    }
    std::sort(run.answer_chunks.begin(), run.answer_chunks.end());
    run.answer_chunks.erase(std::unique(run.answer_chunks.begin(), run.answer_chunks.end()),
                            run.answer_chunks.end());
  } catch (const std::exception&) {
    // A run without a readable config simply has no answer marks.
  }
}

// Builds one head's view of a recorded (step, layer).
std::shared_ptr<const HeadStep> make_head_step(const RunData& run, const sessions::LayerStep* ls,
                                               int64_t step, int32_t layer, int32_t head) {
  auto out = std::make_shared<HeadStep>();
  out->step = step;
  out->layer = layer;
  out->head = head;
  out->levels.resize(std::max(1, run.index.num_levels()));
  if (!ls) return out;
  out->recorded = true;
  for (const auto& level_scores : ls->scores) {
    if (level_scores.level < 0 || level_scores.level >= static_cast<int>(out->levels.size()))
      continue;
    std::map<int64_t, float> best;  // candidate -> score (max over the rows shown)
    for (size_t r = 0; r < level_scores.rows(); ++r) {
      if (head >= 0 && level_scores.heads[r] != head) continue;
      const int64_t* c = level_scores.row_candidates(r);
      const float* s = level_scores.row_scores(r);
      for (size_t i = 0; i < level_scores.row_size(r); ++i) {
        auto [it, inserted] = best.emplace(c[i], s[i]);
        if (!inserted) it->second = std::max(it->second, s[i]);
      }
    }
    auto& level = out->levels[level_scores.level];
    for (const auto& [pos, score] : best) {
      level.candidates.push_back(pos);
      level.scores.push_back(score);
    }
  }
  for (const auto& selection : ls->selections) {
    if (selection.level < 0 || selection.level >= static_cast<int>(out->levels.size())) continue;
    auto& chosen = out->levels[selection.level].chosen;
    for (size_t r = 0; r < selection.rows(); ++r) {
      if (head >= 0 && selection.heads[r] != head) continue;
      chosen.insert(chosen.end(), selection.row_chosen(r),
                    selection.row_chosen(r) + selection.row_size(r));
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  }
  for (int64_t pos : out->levels[0].chosen) {
    const int32_t chunk = run.index.span_of(pos, 0);
    if (chunk >= 0) out->unfolded_chunks.push_back(chunk);
  }
  return out;
}

// Level-0 chunk ids any layer unfolded at one step.
std::vector<int32_t> unfolded_chunks(sessions::Reader& reader, int64_t run_id, int64_t step) {
  std::vector<int32_t> ids;
  for (const auto& u : reader.unfolds_at(run_id, step))
    if (u.level == 0) ids.push_back(u.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace

bool HeadStep::is_chosen(int level, int64_t pos) const {
  if (level < 0 || level >= static_cast<int>(levels.size())) return false;
  const auto& chosen = levels[level].chosen;
  return std::binary_search(chosen.begin(), chosen.end(), pos);
}

bool HeadStep::is_unfolded(int32_t chunk) const {
  return std::binary_search(unfolded_chunks.begin(), unfolded_chunks.end(), chunk);
}

uint64_t StepUnfolds::layers_of(int32_t chunk) const {
  auto it = std::lower_bound(level0.begin(), level0.end(), chunk,
                             [](const sessions::Unfold& u, int32_t c) { return u.id < c; });
  return it != level0.end() && it->id == chunk ? it->layer_mask : 0;
}

// --- workers ---------------------------------------------------------------
struct SessionModel::Workers {
  explicit Workers(const std::string& path)
      : path_(path),
        detail([this](const DetailKey& k, AsyncSlot<DetailKey, HeadStep>::Progress&) {
          return load_detail(k);
        }),
        step_unfolds([this](const UnfoldKey& k, AsyncSlot<UnfoldKey, StepUnfolds>::Progress&) {
          return load_unfolds(k);
        }),
        timeline([this](const TimelineKey& k,
                        AsyncSlot<TimelineKey, TimelineImage>::Progress& progress) {
          return build_timeline(k, progress);
        }),
        series([this](const SeriesKey& k,
                      AsyncSlot<SeriesKey, std::vector<sessions::Reader::ScorePoint>>::Progress&) {
          return load_series(k);
        }),
        comparison(
            [this](const CompareKey& k, AsyncSlot<CompareKey, CompareSeries>::Progress& progress) {
              return build_compare(k, progress);
            }),
        compare_step(
            [this](const CompareStepKey& k, AsyncSlot<CompareStepKey, CompareStep>::Progress&) {
              auto& reader = reader_for(compare_step_reader_);
              auto out = std::make_shared<CompareStep>();
              out->step = k.step;
              out->a = unfolded_chunks(reader, k.a, k.step);
              out->b = unfolded_chunks(reader, k.b, k.step);
              return std::shared_ptr<const CompareStep>(out);
            }) {}

  // Each worker thread opens its own Reader on first use (Readers are per
  // thread) and refreshes it when the model saw new commits (live mode).
  struct ThreadReader {
    std::unique_ptr<sessions::Reader> reader;
    int generation = 0;
  };
  sessions::Reader& reader_for(ThreadReader& slot) {
    if (!slot.reader) {
      slot.reader = std::make_unique<sessions::Reader>(path_);
      slot.generation = generation.load();
    } else if (slot.generation != generation.load()) {
      slot.reader->refresh();
      slot.generation = generation.load();
    }
    return *slot.reader;
  }

  std::shared_ptr<const HeadStep> load_detail(const DetailKey& k) {
    auto& reader = reader_for(detail_reader_);
    const auto key = std::make_tuple(k.run->info.id, k.step, k.layer);
    std::shared_ptr<const sessions::LayerStep> record;
    for (auto it = detail_cache_.begin(); it != detail_cache_.end(); ++it) {
      if (it->first == key) {
        record = it->second;
        detail_cache_.splice(detail_cache_.begin(), detail_cache_, it);  // most recent first
        break;
      }
    }
    if (!record) {
      auto loaded = reader.layer_step(k.run->info.id, k.step, k.layer);
      if (loaded) {  // a missing record is not cached: a live writer may add it
        record = std::make_shared<const sessions::LayerStep>(std::move(*loaded));
        detail_cache_.emplace_front(key, record);
        if (detail_cache_.size() > 64) detail_cache_.pop_back();
      }
    }
    return make_head_step(*k.run, record.get(), k.step, k.layer, k.head);
  }

  std::shared_ptr<const StepUnfolds> load_unfolds(const UnfoldKey& k) {
    auto& reader = reader_for(unfold_reader_);
    auto out = std::make_shared<StepUnfolds>();
    out->step = k.step;
    for (auto& u : reader.unfolds_at(k.run_id, k.step))
      if (u.level == 0) out->level0.push_back(u);
    std::sort(out->level0.begin(), out->level0.end(),
              [](const sessions::Unfold& a, const sessions::Unfold& b) { return a.id < b.id; });
    return out;
  }

  std::shared_ptr<const std::vector<sessions::Reader::ScorePoint>> load_series(const SeriesKey& k) {
    auto& reader = reader_for(series_reader_);
    return std::make_shared<const std::vector<sessions::Reader::ScorePoint>>(
        reader.score_series(k.run_id, k.layer, k.level, k.head, k.position));
  }

  // Rows = detail steps, columns = gists of the level (binned by max when
  // there are more gists than columns); each row is normalised to its own
  // score range so that the ranking at every step is visible; chosen gists
  // are painted in the selected-path colour.
  std::shared_ptr<const TimelineImage> build_timeline(
      const TimelineKey& k, AsyncSlot<TimelineKey, TimelineImage>::Progress& progress) {
    auto& reader = reader_for(timeline_reader_);
    const RunData& run = *k.run;
    auto image = std::make_shared<TimelineImage>();
    image->run_id = run.info.id;
    image->layer = k.layer;
    image->head = k.head;
    image->level = k.level;
    const int64_t gists = static_cast<int64_t>(run.index.spans(k.level).size());
    if (run.detail_steps.count <= 0 || gists == 0) return image;
    image->gists_per_column =
        static_cast<int32_t>((gists + k.max_columns - 1) / std::max(1, k.max_columns));
    image->width =
        static_cast<int>((gists + image->gists_per_column - 1) / image->gists_per_column);
    image->first_step = run.detail_steps.first;
    image->height = static_cast<int>(run.detail_steps.last - run.detail_steps.first + 1);
    image->rgba.assign(static_cast<size_t>(image->width) * image->height, theme::masked());
    std::vector<float> row_max(image->width);
    std::vector<char> row_scored(image->width), row_chosen(image->width);
    auto last_publish = Clock::now();
    for (int y = 0; y < image->height; ++y) {
      if (progress.cancelled()) return nullptr;
      const int64_t step = image->first_step + y;
      auto ls = reader.layer_step(run.info.id, step, k.layer);
      if (ls) {
        auto head_step = make_head_step(run, &*ls, step, k.layer, k.head);
        const auto& level = head_step->levels[k.level];
        std::fill(row_scored.begin(), row_scored.end(), 0);
        std::fill(row_chosen.begin(), row_chosen.end(), 0);
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < level.candidates.size(); ++i) {
          const int32_t g = run.index.gist_index(level.candidates[i]);
          if (g < 0) continue;
          const int x = g / image->gists_per_column;
          const float s = level.scores[i];
          row_max[x] = row_scored[x] ? std::max(row_max[x], s) : s;
          row_scored[x] = 1;
          lo = std::min(lo, s);
          hi = std::max(hi, s);
        }
        for (int64_t pos : level.chosen) {
          const int32_t g = run.index.gist_index(pos);
          if (g >= 0) row_chosen[g / image->gists_per_column] = 1;
        }
        uint32_t* out = &image->rgba[static_cast<size_t>(y) * image->width];
        const float range = hi > lo ? hi - lo : 1.0f;
        for (int x = 0; x < image->width; ++x) {
          if (row_chosen[x])
            out[x] = theme::selected_path();
          else if (row_scored[x])
            out[x] = theme::score_colour((row_max[x] - lo) / range);
        }
      }
      image->rows_done = y + 1;
      if (Clock::now() - last_publish > std::chrono::milliseconds(150)) {
        progress.publish(std::make_shared<const TimelineImage>(*image));
        last_publish = Clock::now();
      }
    }
    return image;
  }

  std::shared_ptr<const CompareSeries> build_compare(
      const CompareKey& k, AsyncSlot<CompareKey, CompareSeries>::Progress& progress) {
    auto& reader = reader_for(compare_reader_);
    auto out = std::make_shared<CompareSeries>();
    auto last_publish = Clock::now();
    for (int64_t step = k.range.first; step <= k.range.last; ++step) {
      if (progress.cancelled()) return nullptr;
      const auto a = unfolded_chunks(reader, k.a, step);
      const auto b = unfolded_chunks(reader, k.b, step);
      std::vector<int32_t> both, either;
      std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
      std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(either));
      out->steps.push_back(step);
      out->jaccard.push_back(either.empty() ? 1.0f
                                            : static_cast<float>(both.size()) / either.size());
      out->rows_done = static_cast<int>(out->steps.size());
      if (Clock::now() - last_publish > std::chrono::milliseconds(200)) {
        progress.publish(std::make_shared<const CompareSeries>(*out));
        last_publish = Clock::now();
      }
    }
    return out;
  }

  // Worker-thread state first: members are destroyed in reverse order, so the
  // slots (and their threads) go before the Readers and cache they use.
  std::string path_;
  std::atomic<int> generation{0};  // grows with every refresh that saw new commits
  ThreadReader detail_reader_, unfold_reader_, timeline_reader_, series_reader_, compare_reader_,
      compare_step_reader_;
  std::list<
      std::pair<std::tuple<int64_t, int64_t, int32_t>, std::shared_ptr<const sessions::LayerStep>>>
      detail_cache_;

  AsyncSlot<DetailKey, HeadStep> detail;
  AsyncSlot<UnfoldKey, StepUnfolds> step_unfolds;
  AsyncSlot<TimelineKey, TimelineImage> timeline;
  AsyncSlot<SeriesKey, std::vector<sessions::Reader::ScorePoint>> series;
  AsyncSlot<CompareKey, CompareSeries> comparison;
  AsyncSlot<CompareStepKey, CompareStep> compare_step;
};

// --- SessionModel ----------------------------------------------------------
SessionModel::SessionModel(const std::string& path) : path_(path), reader_(path) {
  const auto start = Clock::now();
  runs_ = reader_.runs();
  run_data_.resize(runs_.size());
  bookmarks_.resize(runs_.size());
  default_run_ = runs_.empty() ? 0 : runs_.front().id;
  for (const auto& info : runs_) {
    if (const RunData* data = run(info.id); data && data->layout) {
      default_run_ = info.id;
      break;
    }
  }
  workers_ = std::make_unique<Workers>(path);
  open_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
}

SessionModel::~SessionModel() = default;

const RunData* SessionModel::run(int64_t run_id) {
  for (size_t i = 0; i < runs_.size(); ++i) {
    if (runs_[i].id != run_id) continue;
    if (!run_data_[i]) {
      auto data = std::make_unique<RunData>();
      data->info = runs_[i];
      data->layout = reader_.layout(run_id);
      data->mask = reader_.mask(run_id);
      if (data->layout)
        data->index = LayoutIndex(*data->layout, data->mask ? data->mask->previous_chunks : 0);
      data->decode_steps = reader_.decode_steps(run_id);
      data->train_steps = reader_.train_steps(run_id);
      data->detail_steps = reader_.detail_step_range(run_id);
      data->num_layers = std::max(data->info.num_layers, reader_.num_layers(run_id));
      data->num_heads = data->info.num_score_heads;
      if (data->layout) read_settings(*data);
      data->quality = summary::summarize_decode(data->info.config_json, data->decode_steps);
      data->baseline = summary::baseline_label(
          data->quality.baseline,
          data->layout ? data->index.num_levels() : std::max(1, data->info.num_levels));
      run_data_[i] = std::move(data);
    }
    return run_data_[i].get();
  }
  return nullptr;
}

std::shared_ptr<const HeadStep> SessionModel::head_step(int64_t run_id, int64_t step, int32_t layer,
                                                        int32_t head, bool* exact) {
  const RunData* data = run(run_id);
  if (!data || !data->layout) return nullptr;
  return workers_->detail.get({data, step, layer, head}, exact);
}

std::shared_ptr<const StepUnfolds> SessionModel::unfolds(int64_t run_id, int64_t step,
                                                         bool* exact) {
  return workers_->step_unfolds.get({run_id, step, workers_->generation.load()}, exact);
}

std::shared_ptr<const TimelineImage> SessionModel::timeline(int64_t run_id, int32_t layer,
                                                            int32_t head, int32_t level,
                                                            int max_columns) {
  const RunData* data = run(run_id);
  if (!data || !data->layout || level < 0 || level >= data->index.num_levels()) return nullptr;
  return workers_->timeline.get({data, layer, head, level, std::max(16, max_columns)});
}

std::shared_ptr<const std::vector<sessions::Reader::ScorePoint>> SessionModel::score_series(
    int64_t run_id, int32_t layer, int32_t level, int32_t head, int64_t position) {
  return workers_->series.get({run_id, layer, level, head, position, workers_->generation.load()});
}

std::shared_ptr<const CompareSeries> SessionModel::compare(int64_t run_a, int64_t run_b) {
  const RunData* a = run(run_a);
  const RunData* b = run(run_b);
  if (!a || !b) return nullptr;
  sessions::StepRange range;
  range.first = std::max(a->detail_steps.first, b->detail_steps.first);
  range.last = std::min(a->detail_steps.last, b->detail_steps.last);
  range.count = std::max<int64_t>(0, range.last - range.first + 1);
  return workers_->comparison.get({run_a, run_b, range, workers_->generation.load()});
}

std::shared_ptr<const CompareStep> SessionModel::compare_step(int64_t run_a, int64_t run_b,
                                                              int64_t step) {
  return workers_->compare_step.get({run_a, run_b, step, workers_->generation.load()});
}

const std::vector<sessions::Bookmark>& SessionModel::bookmarks(int64_t run_id) {
  for (size_t i = 0; i < runs_.size(); ++i) {
    if (runs_[i].id != run_id) continue;
    if (!bookmarks_[i]) bookmarks_[i] = reader_.bookmarks(run_id);
    return *bookmarks_[i];
  }
  static const std::vector<sessions::Bookmark> none;
  return none;
}

void SessionModel::add_bookmark(sessions::Bookmark bookmark) {
  sessions::Notebook notebook(path_);
  notebook.add(std::move(bookmark));
  reader_.refresh();
  for (auto& cached : bookmarks_) cached.reset();
}

void SessionModel::remove_bookmark(int64_t /*run_id*/, int64_t bookmark_id) {
  sessions::Notebook notebook(path_);
  notebook.remove(bookmark_id);
  reader_.refresh();
  for (auto& cached : bookmarks_) cached.reset();
}

bool SessionModel::refresh() {
  if (!reader_.refresh()) return false;
  ++workers_->generation;
  runs_ = reader_.runs();
  for (auto& data : run_data_)
    if (data) replaced_.push_back(std::move(data));
  run_data_.clear();
  run_data_.resize(runs_.size());
  bookmarks_.assign(runs_.size(), std::nullopt);
  return true;
}

void SessionModel::wait_idle() {
  workers_->detail.wait_idle();
  workers_->step_unfolds.wait_idle();
  workers_->timeline.wait_idle();
  workers_->series.wait_idle();
  workers_->comparison.wait_idle();
  workers_->compare_step.wait_idle();
}

std::string SessionModel::background_error() const {
  for (const std::string& e :
       {workers_->detail.error(), workers_->step_unfolds.error(), workers_->timeline.error(),
        workers_->series.error(), workers_->comparison.error(), workers_->compare_step.error()})
    if (!e.empty()) return e;
  return "";
}

}  // namespace ssa::gui
