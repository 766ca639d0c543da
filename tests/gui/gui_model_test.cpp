// The GUI's data side without a display: the layout index, the mask raster
// against the spec's per-pair rule, the Worker's snapshots and queries
// against the Reader, live refreshes, the plain-words summaries and the search.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "app/gui/core/theme.h"
#include "app/gui/model/layout_search.h"
#include "app/gui/model/mask_raster.h"
#include "app/gui/model/step_story.h"
#include "app/gui/model/worker.h"
#include "app/gui/views/views.h"
#include "app/summary/recording_summary.h"
#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/gui/loaded_worker.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

using testing::Loaded;
using testing::TempRecording;

TEST(LayoutIndex, SpansCloseWithTheirGistsAndNestInGroups) {
  TempRecording rec(testing::small_hssa());
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  ASSERT_TRUE(run && run->has_layout());
  const LayoutIndex& index = *run->layout;
  ASSERT_EQ(index.num_levels(), 2);
  for (int level = 0; level < 2; ++level) {
    const auto& spans = index.spans(level);
    ASSERT_FALSE(spans.empty());
    for (size_t id = 0; id < spans.size(); ++id) {
      EXPECT_EQ(index.role(spans[id].gist), level + 1);
      EXPECT_EQ(index.id(spans[id].gist, level), static_cast<int32_t>(id));
      if (id > 0) {  // right after the previous span and any higher gists that follow it
        int64_t begin = spans[id - 1].gist + 1;
        while (index.role(begin) > level + 1) ++begin;
        EXPECT_EQ(spans[id].begin, begin);
      }
    }
  }
  // Each level-1 group holds the gists whose level-1 id is the group's.
  for (int32_t g = 0; g < static_cast<int32_t>(index.spans(1).size()); ++g) {
    const auto [first, last] = index.children(1, g);
    ASSERT_LE(first, last);
    for (int32_t c = first; c <= last; ++c) EXPECT_EQ(index.id(index.spans(0)[c].gist, 1), g);
  }
  // Raw tokens and gists of the prefix belong to the chunk whose span holds
  // them; meta-gists belong to no chunk.
  for (int64_t pos = index.sink_length(); pos < index.prefix_length(); ++pos) {
    const int32_t chunk = index.span_of(pos, 0);
    if (index.role(pos) > 1) {
      EXPECT_EQ(chunk, -1);
      continue;
    }
    ASSERT_GE(chunk, 0);
    EXPECT_GE(pos, index.spans(0)[chunk].begin);
    EXPECT_LE(pos, index.spans(0)[chunk].gist);
  }
  EXPECT_EQ(index.span_of(0, 0), -1);  // the sink belongs to no chunk
  // Out of range, every accessor answers "none" instead of reading past an array.
  EXPECT_EQ(index.span_of(index.length() + 5, 0), -1);
  EXPECT_EQ(index.id(-1, 0), -1);
  EXPECT_EQ(index.id(3, 7), -1);
  EXPECT_TRUE(index.spans(9).empty());
  EXPECT_EQ(index.children(1, 1 << 30).second, -1);
  EXPECT_FALSE(index.mask_allows(index.length(), 0));
}

// The index derives chunk and group ids and raw indices from the roles; on a
// sound recording they are exactly the engine's, and nothing is reported.
TEST(LayoutIndex, DerivedIdsAreTheRecordedOnes) {
  for (const auto& shape : {testing::small_ssa(), testing::small_hssa()}) {
    TempRecording rec(shape);
    Loaded loaded(rec.path());
    const auto run = loaded.first();
    sessions::Reader reader(rec.path());
    const auto layout = *reader.layout(run->info.id);
    const LayoutIndex& index = *run->layout;
    EXPECT_TRUE(index.anomalies().empty()) << index.anomalies().front();
    EXPECT_TRUE(run->anomalies.empty());
    for (int64_t pos = 0; pos < layout.length(); ++pos) {
      for (int level = 0; level < layout.num_levels(); ++level)
        ASSERT_EQ(index.id(pos, level), layout.id(pos, level)) << pos;
      ASSERT_EQ(index.raw_index(pos), layout.raw_index[pos]);
    }
    // Raw ranges of the chunks tile the prompt's raw tokens in order.
    int64_t next = index.raw_index(index.spans(0)[0].begin);
    for (int32_t c = 0; c < index.num_chunks(); ++c) {
      const auto [first, last] = index.raw_range(c);
      EXPECT_EQ(first, next);
      EXPECT_EQ(index.chunk_of_raw(first), c);
      EXPECT_EQ(index.chunk_of_raw(last), c);
      next = last + 1;
    }
  }
}

// One pixel per cell (and two pixels per cell): the raster shows exactly the
// cells the spec's rule allows.
TEST(MaskRaster, MatchesThePerPairRuleCellForCell) {
  for (const auto& shape : {testing::small_ssa(), testing::small_hssa()}) {
    TempRecording rec(shape);
    Loaded loaded(rec.path());
    const auto run = loaded.first();
    const LayoutIndex& index = *run->layout;
    for (double cpp : {1.0, 0.5}) {
      MaskRasterKey key;
      key.layout = run->layout;
      key.palette = mask_palette();
      key.x0 = 40;
      key.y0 = 100;
      key.cells_per_pixel = cpp;
      key.width = 300;
      key.height = 260;
      const MaskRaster raster = rasterize(key, [] { return false; });
      ASSERT_EQ(raster.rgba.size(), size_t(300 * 260));
      int64_t visible = 0;
      for (int py = 0; py < key.height; ++py) {
        for (int px = 0; px < key.width; ++px) {
          const int64_t q = static_cast<int64_t>(key.y0 + (py + 0.5) * cpp);
          const int64_t k = static_cast<int64_t>(key.x0 + (px + 0.5) * cpp);
          if (q >= index.length() || k >= index.length()) continue;
          const uint32_t c = raster.rgba[size_t(py) * key.width + px];
          const bool shown = c != theme::masked() && c != theme::outside();
          ASSERT_EQ(shown, index.mask_allows(q, k)) << "q " << q << " k " << k << " cpp " << cpp;
          visible += shown;
        }
      }
      EXPECT_GT(visible, 1000);
    }
  }
}

TEST(Worker, HeadStepIsWhatTheReaderRecorded) {
  TempRecording rec(testing::small_hssa());
  Loaded loaded(rec.path());
  sessions::Reader reader(rec.path());
  const auto run = loaded.first();
  for (int64_t step : {0, 7, 19}) {
    for (int32_t head : {-1, 1}) {
      loaded.worker.head_step(run, step, 1, head);
      loaded.worker.wait_idle();
      bool exact = false;
      auto hs = loaded.worker.head_step(run, step, 1, head, &exact);
      ASSERT_TRUE(exact && hs && hs->recorded);
      EXPECT_EQ(hs->left_out, 0);
      auto ls = reader.layer_step(run->info.id, step, 1);
      ASSERT_TRUE(ls);
      for (const auto& sel : ls->selections) {
        std::set<int64_t> expected;
        for (size_t r = 0; r < sel.rows(); ++r)
          if (head < 0 || sel.heads[r] == head)
            expected.insert(sel.row_chosen(r), sel.row_chosen(r) + sel.row_size(r));
        const auto& got = hs->levels[sel.level].chosen;
        EXPECT_EQ(std::set<int64_t>(got.begin(), got.end()), expected);
        if (sel.level == 0) {
          std::set<int32_t> chunks;
          for (int64_t g : expected) chunks.insert(run->layout->id(g, 0));
          EXPECT_EQ(std::set<int32_t>(hs->unfolded_chunks.begin(), hs->unfolded_chunks.end()),
                    chunks);
          // Per head: what that head chose.
          for (size_t r = 0; r < sel.rows(); ++r) {
            if (head >= 0 && sel.heads[r] != head) continue;
            for (size_t i = 0; i < sel.row_size(r); ++i) {
              const auto heads = hs->heads_unfolding(run->layout->id(sel.row_chosen(r)[i], 0));
              EXPECT_TRUE(std::binary_search(heads.begin(), heads.end(), sel.heads[r]));
            }
          }
        }
      }
    }
  }
  // A step without detail answers "not recorded", not an error.
  loaded.worker.head_step(run, 10000, 0, -1);
  loaded.worker.wait_idle();
  auto none = loaded.worker.head_step(run, 10000, 0, -1);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->recorded);
}

TEST(Worker, TimelinePaintsEveryPickOfEveryStep) {
  TempRecording rec(testing::small_ssa());
  Loaded loaded(rec.path());
  sessions::Reader reader(rec.path());
  const auto run = loaded.first();
  TimelineRequest request;
  request.run = run;
  request.layer = 0;
  request.head = 2;
  request.step_count = run->steps.size();
  request.columns =
      timeline_columns(0, run->layout->num_chunks(), 0, run->layout->num_chunks(), 4096);
  request.palette = timeline_palette();  // the view's: picks in the chosen colour
  loaded.worker.timeline(request);
  loaded.worker.wait_idle();
  auto image = loaded.worker.timeline(request);
  ASSERT_TRUE(image);
  ASSERT_EQ(request.columns.per_column, 1);
  ASSERT_EQ(image->width, run->layout->num_chunks());
  ASSERT_EQ(image->height, static_cast<int>(run->steps.size()));
  EXPECT_EQ(image->rows_done, image->height);
  for (int y = 0; y < image->height; ++y) {
    auto ls = reader.layer_step(run->info.id, run->steps[y], 0);
    ASSERT_TRUE(ls);
    std::set<int> picked;
    for (const auto& sel : ls->selections)
      for (size_t r = 0; r < sel.rows(); ++r)
        if (sel.heads[r] == 2)
          for (size_t i = 0; i < sel.row_size(r); ++i)
            picked.insert(run->layout->id(sel.row_chosen(r)[i], 0));
    std::set<int> painted;
    for (int x = 0; x < image->width; ++x)
      if (image->rgba[size_t(y) * image->width + x] == theme::chosen()) painted.insert(x);
    EXPECT_EQ(painted, picked) << "step " << run->steps[y];
  }
  // Fewer rows than steps: each row bins consecutive steps, picks kept.
  TimelineRequest binned = request;
  binned.max_rows = 7;
  loaded.worker.timeline(binned);
  loaded.worker.wait_idle();
  auto small = loaded.worker.timeline(binned);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->steps_per_row, (run->steps.size() + 6) / 7);
  EXPECT_LE(small->height, 7);
  for (int x = 0; x < image->width; ++x) {
    bool any = false;
    const auto [s0, s1] = small->row_steps(0);
    for (size_t i = s0; i <= s1; ++i) any |= image->cell_picked[i * image->width + x] != 0;
    EXPECT_EQ(small->cell_picked[x] != 0, any) << x;
  }
}

TEST(Worker, BookmarksRoundTripThroughTheRecording) {
  TempRecording rec(testing::small_ssa());
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  EXPECT_TRUE(run->bookmarks.empty());
  sessions::Bookmark b;
  b.run_id = run->info.id;
  b.step = 12;
  b.name = "needle found";
  b.note = "layer 1 unfolds the passkey chunk";
  loaded.worker.add_bookmark(0, b);
  loaded.worker.wait_idle();
  loaded.worker.poll();
  const auto after = loaded.worker.run(run->id);
  ASSERT_EQ(after->bookmarks.size(), 1u);
  EXPECT_EQ(after->bookmarks[0].name, "needle found");
  // A fresh Worker (a later session) sees it in the file.
  Loaded reopened(rec.path());
  const auto again = reopened.run(run->info.id);
  ASSERT_EQ(again->bookmarks.size(), 1u);
  reopened.worker.remove_bookmark(0, again->bookmarks[0].id);
  reopened.worker.wait_idle();
  reopened.worker.poll();
  EXPECT_TRUE(reopened.run(run->info.id)->bookmarks.empty());
}

// A recording being written: the small SSA recording's first run begun in a
// second file (its layout and mask, no steps yet), what a recorder has
// written when a live Worker opens the file; the tests copy its steps in.
struct LiveCopy {
  explicit LiveCopy(const std::string& suffix)
      : live(rec.path() + suffix), source(rec.path()), writer(live) {
    source_run = source.runs().front().id;
    run_id = writer.begin_run(*source.run(source_run));
    writer.write_layout(run_id, *source.layout(source_run));
    writer.write_mask(run_id, *source.mask(source_run));
  }
  TempRecording rec{testing::small_ssa()};
  std::string live;
  sessions::Reader source;
  sessions::Writer writer;
  int64_t source_run = 0, run_id = 0;
};

// Live mode: a Worker following a file that a Writer is still filling sees
// the new steps after a refresh, and only then; each refresh extends the
// snapshot (the layout is shared, not read again), and old snapshots go.
TEST(Worker, RefreshExtendsSnapshotsAndLetsOldOnesGo) {
  LiveCopy c(".live");
  auto copy_steps = [&](int64_t first, int64_t last) {
    for (const auto& d : c.source.decode_steps(c.source_run, first, last)) {
      c.writer.write_decode_step(c.run_id, d);
      for (int32_t layer = 0; layer < 2; ++layer)
        c.writer.write_layer_step(c.run_id, *c.source.layer_step(c.source_run, d.step, layer));
    }
    c.writer.flush();
  };
  copy_steps(0, 4);
  Loaded loaded(c.live);
  auto first = loaded.run(c.run_id);
  EXPECT_EQ(first->decode_steps.size(), 5u);
  EXPECT_EQ(first->detail_steps.last, 4);
  EXPECT_EQ(first->steps, std::vector<int64_t>({0, 1, 2, 3, 4}));
  loaded.worker.refresh_now();
  loaded.worker.wait_idle();
  loaded.worker.poll();
  EXPECT_EQ(loaded.run(c.run_id), first) << "nothing new: the same snapshot";
  loaded.worker.head_step(first, 9, 0, -1);
  loaded.worker.wait_idle();
  EXPECT_FALSE(loaded.worker.head_step(first, 9, 0, -1)->recorded);

  std::weak_ptr<const RunData> old = first;
  const LayoutIndex* layout = first->layout.get();
  first.reset();
  copy_steps(5, 9);
  loaded.worker.refresh_now();
  loaded.worker.wait_idle();
  loaded.worker.poll();
  const auto second = loaded.run(c.run_id);
  EXPECT_EQ(second->decode_steps.size(), 10u);
  EXPECT_EQ(second->detail_steps.last, 9);
  EXPECT_GT(second->generation, 0);
  EXPECT_EQ(second->layout.get(), layout) << "the layout is shared, not read again";
  EXPECT_TRUE(old.expired()) << "the replaced snapshot is gone";
  bool exact = false;
  loaded.worker.head_step(second, 9, 0, -1);
  loaded.worker.wait_idle();
  auto step = loaded.worker.head_step(second, 9, 0, -1, &exact);
  ASSERT_TRUE(exact && step);
  EXPECT_TRUE(step->recorded);
  loaded.worker.unfolds(second, 9);
  loaded.worker.wait_idle();
  EXPECT_FALSE(loaded.worker.unfolds(second, 9)->level0.empty());
  c.writer.close();
  std::filesystem::remove(c.live);
}

// Live mode: the timeline of a growing run, extended refresh by refresh
// (final rows kept, new steps painted), is the picture a fresh Worker paints
// of the same steps, byte for byte, while its binning changes and while a
// step's layer record arrives a refresh after its decode record.
TEST(Worker, LiveTimelineIsTheFreshlyBuiltOne) {
  LiveCopy c(".timeline");
  const auto palette = timeline_palette();
  auto request_of = [&](const std::shared_ptr<const RunData>& run) {
    TimelineRequest r;
    r.run = run;
    r.layer = 0;
    r.head = 2;
    r.step_count = run->steps.size();
    r.columns = timeline_columns(0, run->layout->num_chunks(), 0, run->layout->num_chunks(), 4096);
    r.max_rows = 6;  // 30 steps: one step a row, then 2, 3, 4 and 5 binned
    r.palette = palette;
    return r;
  };
  auto image_of = [&](Worker& worker, const std::shared_ptr<const RunData>& run) {
    worker.timeline(request_of(run));
    worker.wait_idle();
    return worker.timeline(request_of(run));
  };
  auto same_bytes = [](const auto& a, const auto& b) {
    return a.size() == b.size() &&
           std::memcmp(a.data(), b.data(), a.size() * sizeof(a.front())) == 0;
  };
  Loaded followed(c.live);
  int64_t written = 0;
  int checked = 0;
  for (int64_t last : {2, 5, 6, 9, 13, 17, 18, 22, 26, 29}) {
    for (; written <= last; ++written) {
      c.writer.write_decode_step(c.run_id,
                                 c.source.decode_steps(c.source_run, written, written).front());
      c.writer.write_layer_step(c.run_id, *c.source.layer_step(c.source_run, written, 1));
      // Layer 0 of step 18 comes a refresh late.
      if (written != 18)
        c.writer.write_layer_step(c.run_id, *c.source.layer_step(c.source_run, written, 0));
    }
    if (last == 22) c.writer.write_layer_step(c.run_id, *c.source.layer_step(c.source_run, 18, 0));
    c.writer.flush();
    followed.worker.refresh_now();
    followed.worker.wait_idle();
    followed.worker.poll();
    const auto run = followed.run(c.run_id);
    ASSERT_EQ(run->steps.size(), static_cast<size_t>(last + 1));
    const auto incremental = image_of(followed.worker, run);
    Loaded fresh(c.live);
    const auto built = image_of(fresh.worker, fresh.run(c.run_id));
    ASSERT_TRUE(incremental && built);
    ASSERT_EQ(incremental->rows_done, incremental->height);
    EXPECT_EQ(incremental->height, built->height) << last;
    EXPECT_EQ(incremental->steps_per_row, built->steps_per_row) << last;
    EXPECT_EQ(incremental->final_rows, built->final_rows) << last;
    EXPECT_TRUE(same_bytes(incremental->rgba, built->rgba)) << "colours, up to step " << last;
    EXPECT_TRUE(same_bytes(incremental->cell_score, built->cell_score)) << last;
    EXPECT_TRUE(same_bytes(incremental->cell_picked, built->cell_picked)) << last;
    EXPECT_TRUE(same_bytes(incremental->row_lo, built->row_lo)) << last;
    EXPECT_TRUE(same_bytes(incremental->row_hi, built->row_hi)) << last;
    ++checked;
  }
  EXPECT_EQ(checked, 10);
  c.writer.close();
  std::filesystem::remove(c.live);
}

// A file that is created only after the Worker was asked to open it (live):
// it waits, then loads.
TEST(Worker, WaitsForAFileTheRecorderHasNotCreatedYet) {
  TempRecording rec(testing::small_ssa());
  const std::string later = rec.path() + ".later";
  Worker worker;
  worker.open(later, /*wait_for_file=*/true);
  worker.wait_idle();
  worker.poll();
  ASSERT_EQ(worker.files().size(), 1u);
  EXPECT_EQ(worker.files()[0]->status, Worker::FileStatus::kWaiting);
  std::filesystem::copy_file(rec.path(), later);
  for (int i = 0; i < 100 && worker.files()[0]->status != Worker::FileStatus::kReady; ++i) {
    ::usleep(50 * 1000);
    worker.poll();
  }
  EXPECT_EQ(worker.files()[0]->status, Worker::FileStatus::kReady);
  EXPECT_FALSE(worker.runs().empty());
  std::filesystem::remove(later);
}

TEST(Worker, RefusesAFileThatIsNotARecording) {
  const std::string path = "/tmp/ssa_gui_not_a_recording_" + std::to_string(::getpid()) + ".ssarec";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("just text, no SQLite here\n", f);
    std::fclose(f);
  }
  Loaded loaded(path);
  ASSERT_EQ(loaded.worker.files().size(), 1u);
  EXPECT_EQ(loaded.worker.files()[0]->status, Worker::FileStatus::kFailed);
  EXPECT_NE(loaded.worker.files()[0]->error.find(path), std::string::npos)
      << loaded.worker.files()[0]->error;
  EXPECT_FALSE(loaded.worker.default_run().valid());
  std::filesystem::remove(path);
}

// Several recordings at once: runs are named by (file, run).
TEST(Worker, OpensSeveralRecordingsSideBySide) {
  TempRecording a(testing::small_ssa()), b(testing::small_hssa());
  Worker worker;
  worker.open(a.path());
  worker.open(b.path());
  worker.wait_idle();
  worker.poll();
  ASSERT_EQ(worker.files().size(), 2u);
  sessions::Reader ra(a.path()), rb(b.path());
  EXPECT_EQ(worker.runs().size(), ra.runs().size() + rb.runs().size());
  const auto one = worker.run({0, 1}), two = worker.run({1, 1});
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->layout->num_levels(), 1);
  EXPECT_EQ(two->layout->num_levels(), 2);
}

// A run the Recorder marked failed (runs.failure) has ended: never growing,
// never taken for a live one, and the views say why it has no steps.
TEST(Worker, FailedRunHasEndedAndSaysWhy) {
  const std::string path = "/tmp/ssa_gui_failed_" + std::to_string(::getpid()) + ".ssarec";
  {
    sessions::Writer writer(path);
    sessions::RunInfo info;
    info.name = "cut short";
    info.kind = "decode";
    const int64_t id = writer.begin_run(info);
    writer.fail_run(id, "std::bad_alloc");
    writer.close();
  }
  Loaded loaded(path);
  ASSERT_EQ(loaded.worker.files().size(), 1u);
  ASSERT_EQ(loaded.worker.files()[0]->runs.size(), 1u);
  const auto run = loaded.worker.files()[0]->runs[0];
  EXPECT_TRUE(run->failed());
  EXPECT_TRUE(run->ended());
  EXPECT_FALSE(run->info.finished);
  EXPECT_FALSE(loaded.worker.files()[0]->growing());
  UiState state;
  ViewContext ctx(loaded.worker, state, key_queue());
  ctx.run = run;
  EXPECT_EQ(ctx.no_steps_note(), "this run failed before its first decode step: std::bad_alloc");
  std::filesystem::remove(path);
}

TEST(OpenDialog, RemembersRecentFilesNewestFirstWithoutDuplicates) {
  const std::string config = "/tmp/ssa_gui_config_" + std::to_string(::getpid());
  ::setenv("XDG_CONFIG_HOME", config.c_str(), 1);
  std::filesystem::create_directories(config + "/data");
  auto file = [&](const std::string& name) {
    const std::string path = config + "/data/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fclose(f);
    return path;
  };
  const std::string a = file("a.ssarec"), b = file("b.ssarec");
  OpenDialog::remember(a);
  OpenDialog::remember(b);
  OpenDialog::remember(a);
  auto recent = OpenDialog::recent();
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0], a);
  EXPECT_EQ(recent[1], b);
  for (int i = 0; i < 15; ++i) OpenDialog::remember(file("f" + std::to_string(i) + ".ssarec"));
  EXPECT_EQ(OpenDialog::recent().size(), 10u);
  // A file that is gone is not offered.
  std::filesystem::remove(config + "/data/f14.ssarec");
  recent = OpenDialog::recent();
  EXPECT_EQ(recent.size(), 9u);
  EXPECT_EQ(recent[0], config + "/data/f13.ssarec");
  ::unsetenv("XDG_CONFIG_HOME");
  testing::remove_tree(config);
}

// The numbers the views draw for coverage and the answer flag are the
// recorded ones, summed up exactly as written here from the Reader's rows.
TEST(DecodeQuality, SummaryIsWhatTheRunRecorded) {
  TempRecording rec(testing::small_baselines());
  Loaded loaded(rec.path());
  sessions::Reader reader(rec.path());
  const char* const baselines[] = {"none", "none", "oracle", "recency", "gist-only", "full"};
  const char* const labels[] = {"SSA", "SSA", "oracle", "recency", "gist-only", "full attention"};
  const auto runs = loaded.worker.runs();
  ASSERT_EQ(runs.size(), 6u);
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunData& run = *runs[i];
    const summary::DecodeSummary& q = run.quality;
    EXPECT_EQ(q.baseline, baselines[i]) << run.info.name;
    EXPECT_EQ(run.baseline, labels[i]) << run.info.name;
    EXPECT_TRUE(q.shadow_full);
    EXPECT_EQ(q.task, "passkey");
    EXPECT_EQ(q.mode, "head");
    EXPECT_EQ(q.answer, "48213");
    EXPECT_EQ(q.k, i == 1 ? 1 : 3);
    const auto steps = reader.decode_steps(run.info.id);
    ASSERT_EQ(q.steps, 12);
    int64_t measured = 0, known = 0, unfolded = 0, first = -1;
    double sum = 0, lo = 2, hi = -1, read = 0, scored = 0;
    for (const auto& d : steps) {
      read += static_cast<double>(d.keys_read);
      scored += static_cast<double>(d.keys_scored);
      if (d.full_mass_coverage >= 0) {
        ++measured, sum += d.full_mass_coverage;
        lo = std::min(lo, d.full_mass_coverage), hi = std::max(hi, d.full_mass_coverage);
        EXPECT_LE(d.full_mass_coverage, 1.0);
      }
      if (d.answer_unfolded >= 0) ++known, unfolded += d.answer_unfolded;
      if (d.answer_unfolded == 1 && first < 0) first = d.step;
    }
    EXPECT_EQ(q.coverage_steps, measured);
    EXPECT_EQ(q.mean_coverage, measured ? sum / measured : -1.0);
    EXPECT_EQ(q.min_coverage, measured ? lo : -1.0);
    EXPECT_EQ(q.max_coverage, measured ? hi : -1.0);
    EXPECT_EQ(q.answer_steps, known);
    EXPECT_EQ(q.answer_unfolded, unfolded);
    EXPECT_EQ(q.first_answer_step, first);
    EXPECT_EQ(q.mean_keys_read, read / 12);
    EXPECT_EQ(q.mean_keys_scored, scored / 12);
  }
  // What the baselines mean (ssa-spec.md "Baselines"): the full-attention run
  // measures nothing and knows no answer flag; gist-only unfolds nothing, so
  // it covers nothing and never reaches the answer; the oracle takes the
  // heaviest chunks, so no selection of the same size covers more.
  const auto quality = [&](size_t i) { return runs[i]->quality; };
  EXPECT_FALSE(quality(5).has_coverage());
  EXPECT_FALSE(quality(5).knows_answer());
  EXPECT_EQ(quality(4).mean_coverage, 0.0);
  EXPECT_EQ(quality(4).max_coverage, 0.0);
  EXPECT_EQ(quality(4).answer_unfolded, 0);
  EXPECT_EQ(quality(4).answer_steps, 12);
  EXPECT_GE(quality(2).mean_coverage, quality(0).mean_coverage);
  EXPECT_GT(quality(0).mean_coverage, quality(1).mean_coverage);  // k = 3 covers more than k = 1
  EXPECT_GT(quality(0).answer_unfolded, 0);
  // Without the shadow nothing is measured, and the snapshot says so.
  testing::RecordingShape plain = testing::small_baselines();
  plain.shadow_full = false;
  TempRecording without(plain);
  Loaded loaded2(without.path());
  for (const auto& run : loaded2.worker.runs()) {
    EXPECT_FALSE(run->quality.shadow_full);
    EXPECT_FALSE(run->quality.has_coverage()) << run->info.name;
  }
}

TEST(DecodeQuality, UnreadableConfigLeavesTheBaselineUnknown) {
  std::vector<sessions::DecodeStepRecord> steps(3);
  for (int i = 0; i < 3; ++i) steps[i].step = i, steps[i].keys_read = 10 * (i + 1);
  steps[1].full_mass_coverage = 0.25;
  steps[2].answer_unfolded = 0;
  const summary::DecodeSummary q = summary::summarize_decode("{not json", steps);
  EXPECT_EQ(q.baseline, "");
  EXPECT_EQ(summary::baseline_label(q.baseline, 1), "?");
  EXPECT_EQ(summary::baseline_label("none", 2), "H-SSA");
  EXPECT_EQ(q.k, -1);
  EXPECT_EQ(q.coverage_steps, 1);
  EXPECT_EQ(q.mean_coverage, 0.25);
  EXPECT_EQ(q.answer_steps, 1);
  EXPECT_EQ(q.answer_unfolded, 0);
  EXPECT_EQ(q.first_answer_step, -1);
  EXPECT_EQ(q.mean_keys_read, 20.0);
  EXPECT_EQ(summary::summarize_decode("{}", {}).mean_coverage, -1.0);
}

// A step lane's bins (one per pixel column or row): contiguous, covering the
// range once, each with the mean coverage and the answer flag of its steps.
TEST(DecodeQuality, StepBinsSumUpTheirStepsExactly) {
  TempRecording rec(testing::small_baselines());
  Loaded loaded(rec.path());
  const auto run = loaded.worker.runs()[1];  // ssa k=1: the answer flag varies
  const auto& steps = run->decode_steps;
  for (int bins : {1, 5, 7, 12, 400}) {
    const auto out = summary::bin_steps(steps, 0, 11, bins);
    ASSERT_EQ(out.size(), static_cast<size_t>(std::min(bins, 12))) << bins;
    int64_t next = 0;
    for (const summary::StepBin& b : out) {
      EXPECT_EQ(b.first, next);
      ASSERT_GE(b.last, b.first);
      next = b.last + 1;
      double sum = 0;
      int64_t n = 0, unfolded = 0;
      for (int64_t step = b.first; step <= b.last; ++step) {
        const auto* d = summary::find_step(steps, step);
        ASSERT_TRUE(d);
        sum += d->full_mass_coverage, ++n, unfolded += d->answer_unfolded;
      }
      EXPECT_EQ(b.coverage_steps, n);
      EXPECT_EQ(b.coverage, sum / n);
      EXPECT_EQ(b.answer_steps, n);
      EXPECT_EQ(b.answer_unfolded, unfolded);
      EXPECT_EQ(b.answer(), unfolded > 0 ? 1 : 0);
    }
    EXPECT_EQ(next, 12);
  }
  const auto wide = summary::bin_steps(steps, 0, 23, 24);
  for (size_t i = 12; i < wide.size(); ++i) {
    EXPECT_EQ(wide[i].coverage, -1.0);
    EXPECT_EQ(wide[i].answer(), -1);
  }
  EXPECT_TRUE(summary::bin_steps(steps, 5, 4, 10).empty());
  EXPECT_EQ(summary::find_step(steps, 99), nullptr);
}

// Coverage axes zoom to the shares recorded, with headroom, never past 1,
// and say so when they are a zoom.
TEST(DecodeQuality, ShareAxisLeavesHeadroomAndStopsAtOne) {
  EXPECT_EQ(draw::share_axis_max(0.0), 0.01);
  EXPECT_EQ(draw::share_axis_max(0.132), 0.2);
  EXPECT_EQ(draw::share_axis_max(0.19), 0.25);  // 0.19 * 1.1 > 0.2
  EXPECT_EQ(draw::share_axis_max(0.2309), 0.3);
  EXPECT_EQ(draw::share_axis_max(0.45), 0.5);
  EXPECT_EQ(draw::share_axis_max(0.46), 1.0);
  EXPECT_EQ(draw::share_axis_max(1.0), 1.0);
  EXPECT_EQ(draw::zoom_label(1.0), "");
  EXPECT_NE(draw::zoom_label(0.2).find("zoom"), std::string::npos);
}

// Axis ticks: round numbers, inside the range, at least two on a short axis.
TEST(Axes, TicksAreRoundAndInsideTheRange) {
  const auto t = draw::nice_ticks(0, 4653, 6, true);
  ASSERT_GE(t.size(), 3u);
  for (double v : t) EXPECT_TRUE(v >= 0 && v <= 4653 && std::fmod(v, 500) == 0) << v;
  const auto short_axis = draw::nice_ticks(-24.3, 21.0, 1, false);
  EXPECT_GE(short_axis.size(), 2u);
  EXPECT_EQ(draw::tick_label(12800, 100), "12,800");
  EXPECT_EQ(draw::tick_label(-20, 10),
            "\xE2\x88\x92"
            "20");
  EXPECT_EQ(draw::tick_label(0.05, 0.05), "0.05");
}

// Digits in threes (tick labels, the demo cards' context), any int64_t.
TEST(Axes, DigitsAreGroupedInThrees) {
  EXPECT_EQ(draw::grouped_digits(0), "0");
  EXPECT_EQ(draw::grouped_digits(999), "999");
  EXPECT_EQ(draw::grouped_digits(4096), "4,096");
  EXPECT_EQ(draw::grouped_digits(131072), "131,072");
  EXPECT_EQ(draw::grouped_digits(1048576), "1,048,576");
  EXPECT_EQ(draw::grouped_digits(-4096), "-4,096");
  EXPECT_EQ(draw::grouped_digits(-4096, "\xE2\x88\x92"),
            "\xE2\x88\x92"
            "4,096");
  EXPECT_EQ(draw::grouped_digits(INT64_MIN), "-9,223,372,036,854,775,808");
}

// One colour per meaning: every meaning stands apart from every other and
// from every colour of the score ramp (sum of channel differences).
// The chart's series and legend follow the methods' one table.
TEST(Theme, MethodsRankInTheLegendsOrder) {
  EXPECT_EQ(theme::method_rank("ssa"), 0);
  EXPECT_EQ(theme::method_rank("full"), 1);
  EXPECT_EQ(theme::method_rank("oracle"), 2);
  EXPECT_EQ(theme::method_rank("gist-only"), 3);
  EXPECT_EQ(theme::method_rank("recency"), 4);
  EXPECT_EQ(theme::method_rank("something-new"), 5);
}

TEST(Theme, EveryMeaningHasItsOwnColour) {
  auto distance = [](ImU32 a, ImU32 b) {
    int d = 0;
    for (int shift : {0, 8, 16}) d += std::abs(int((a >> shift) & 255) - int((b >> shift) & 255));
    return d;
  };
  std::vector<std::pair<const char*, ImU32>> meanings = {
      {"raw", theme::raw_token()},
      {"gist", theme::gist_level(0)},
      {"meta 1", theme::gist_level(1)},
      {"meta 2", theme::gist_level(2)},
      {"sink", theme::sink()},
      {"question", theme::question()},
      {"generated", theme::generated()},
      {"chosen", theme::chosen()},
      {"answer", theme::answer()},
      {"cursor", theme::cursor()},
      {"coverage", theme::coverage()},
      {"run A", theme::run_a()},
      {"run B", theme::run_b()},
      {"bookmark", theme::bookmark()},
      {"metric", theme::metric()},
      {"error", theme::error()},
      // The evaluation methods are meanings too: none reuses a view's colour.
      {"SSA", theme::method_colour("ssa")},
      {"H-SSA", theme::method_colour("ssa", true)},
      {"full attention", theme::method_colour("full")},
      {"oracle", theme::method_colour("oracle")},
      {"gist-only", theme::method_colour("gist-only")},
      {"recency", theme::method_colour("recency")}};
  for (size_t i = 0; i < meanings.size(); ++i) {
    for (size_t j = i + 1; j < meanings.size(); ++j)
      EXPECT_GE(distance(meanings[i].second, meanings[j].second), 70)
          << meanings[i].first << " vs " << meanings[j].first;
    for (int r = 0; r <= 16; ++r)
      EXPECT_GE(distance(meanings[i].second, theme::score_colour(r / 16.0f)), 60)
          << meanings[i].first << " vs the score ramp at " << r / 16.0;
  }
  // The ramp's dark end is not the masked grey (an unscored cell).
  EXPECT_GE(distance(theme::score_colour(0), theme::masked()), 60);
  // The legend names every meaning once.
  std::set<std::string> labels;
  for (const auto& m : theme::meanings(3)) EXPECT_TRUE(labels.insert(m.label).second) << m.label;
  // The Evaluation page's legend: every method once, in the colour the chart draws it.
  const auto methods = theme::method_meanings();
  ASSERT_EQ(methods.size(), 6u);
  EXPECT_EQ(methods[0].colour, theme::method_colour("ssa"));
  EXPECT_EQ(methods[1].colour, theme::method_colour("ssa", true));
  EXPECT_EQ(methods[5].colour, theme::method_colour("recency"));
  // Only SSA has a hierarchical colour; a method the page does not know is dim.
  EXPECT_EQ(theme::method_colour("full", true), theme::method_colour("full"));
  EXPECT_EQ(theme::method_colour("tova"), theme::text_dim());
  for (const auto& m : methods) EXPECT_TRUE(labels.insert(m.label).second) << m.label;
}

// What `ssa-workbench` prints without a display for the recording at `path`.
std::string headless_summary(const std::string& path) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  summary::print_headless_summary(path, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(HeadlessSummary, NamesBaselinesCoverageAndAnswerSteps) {
  TempRecording rec(testing::small_baselines());
  const std::string text = headless_summary(rec.path());
  Loaded loaded(rec.path());
  for (const auto& run : loaded.worker.runs()) {
    const auto at = text.find("\"" + run->info.name + "\"");
    ASSERT_NE(at, std::string::npos) << text;
    const std::string block = text.substr(at, text.find("run #", at) - at);
    EXPECT_NE(block.find("baseline " + run->baseline), std::string::npos) << block;
    const summary::DecodeSummary& q = run->quality;
    if (q.has_coverage()) {
      char mean[64];
      std::snprintf(mean, sizeof mean, "mass covered: mean %.4f", q.mean_coverage);
      EXPECT_NE(block.find(mean), std::string::npos) << block;
    } else {
      EXPECT_NE(block.find("not measured (full attention reads every key)"), std::string::npos)
          << block;
    }
    if (q.knows_answer()) {
      EXPECT_NE(block.find("answer chunk unfolded at " + std::to_string(q.answer_unfolded) +
                           " of 12 steps"),
                std::string::npos)
          << block;
    }
  }
}

TEST(HeadlessSummary, NamesRunsLayoutAndUnfoldedChunks) {
  TempRecording rec(testing::small_ssa());
  const std::string text = headless_summary(rec.path());
  EXPECT_NE(text.find("ssa k=3"), std::string::npos) << text;
  EXPECT_NE(text.find("ssa k=1"), std::string::npos) << text;
  EXPECT_NE(text.find("continued pretraining"), std::string::npos) << text;
  EXPECT_NE(text.find("layout:"), std::string::npos) << text;
  EXPECT_NE(text.find("chunks unfolded at step 29"), std::string::npos) << text;
}

}  // namespace
}  // namespace ssa::gui
