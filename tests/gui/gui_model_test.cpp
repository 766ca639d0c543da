// The GUI's data side without a display: the layout index, the mask raster
// against the spec's per-pair rule, the session model against the Reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include <unistd.h>

#include "app/gui/core/theme.h"
#include "app/gui/model/mask_raster.h"
#include "app/gui/model/session_model.h"
#include "app/gui/views/views.h"
#include "app/gui/workbench.h"
#include "app/summary/recording_summary.h"
#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

using testing::TempRecording;

TEST(LayoutIndex, SpansCloseWithTheirGistsAndNestInGroups) {
  TempRecording rec(testing::small_hssa());
  SessionModel model(rec.path());
  const RunData* run = model.run(model.default_run());
  ASSERT_TRUE(run && run->layout);
  const LayoutIndex& index = run->index;
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
}

// One pixel per cell (and two pixels per cell): the raster shows exactly the
// cells the spec's rule allows.
TEST(MaskRaster, MatchesThePerPairRuleCellForCell) {
  for (const auto& shape : {testing::small_ssa(), testing::small_hssa()}) {
    TempRecording rec(shape);
    SessionModel model(rec.path());
    const RunData* run = model.run(model.default_run());
    const LayoutIndex& index = run->index;
    for (double cpp : {1.0, 0.5}) {
      MaskRasterKey key;
      key.run = run;
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
          const bool shown = c != 0 && c != theme::masked() && c != theme::panel_background();
          ASSERT_EQ(shown, index.mask_allows(q, k)) << "q " << q << " k " << k << " cpp " << cpp;
          visible += shown;
        }
      }
      EXPECT_GT(visible, 1000);
    }
  }
}

TEST(SessionModel, HeadStepIsWhatTheReaderRecorded) {
  TempRecording rec(testing::small_hssa());
  SessionModel model(rec.path());
  sessions::Reader reader(rec.path());
  const int64_t run_id = model.default_run();
  const RunData* run = model.run(run_id);
  for (int64_t step : {0, 7, 19}) {
    for (int32_t head : {-1, 1}) {
      model.head_step(run_id, step, 1, head);
      model.wait_idle();
      bool exact = false;
      auto hs = model.head_step(run_id, step, 1, head, &exact);
      ASSERT_TRUE(exact && hs && hs->recorded);
      auto ls = reader.layer_step(run_id, step, 1);
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
          for (int64_t g : expected) chunks.insert(run->index.id(g, 0));
          EXPECT_EQ(std::set<int32_t>(hs->unfolded_chunks.begin(), hs->unfolded_chunks.end()),
                    chunks);
        }
      }
    }
  }
  // A step without detail answers "not recorded", not an error.
  model.head_step(run_id, 10000, 0, -1);
  model.wait_idle();
  auto none = model.head_step(run_id, 10000, 0, -1);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->recorded);
}

TEST(SessionModel, TimelinePaintsEveryPickOfEveryStep) {
  TempRecording rec(testing::small_ssa());
  SessionModel model(rec.path());
  sessions::Reader reader(rec.path());
  const int64_t run_id = model.default_run();
  const RunData* run = model.run(run_id);
  model.timeline(run_id, 0, 2, 0, 4096);
  model.wait_idle();
  auto image = model.timeline(run_id, 0, 2, 0, 4096);
  ASSERT_TRUE(image);
  ASSERT_EQ(image->gists_per_column, 1);
  ASSERT_EQ(image->width, run->index.num_chunks());
  ASSERT_EQ(image->height, run->detail_steps.count);
  EXPECT_EQ(image->rows_done, image->height);
  for (int y = 0; y < image->height; ++y) {
    auto ls = reader.layer_step(run_id, image->first_step + y, 0);
    ASSERT_TRUE(ls);
    std::set<int> picked;
    for (const auto& sel : ls->selections)
      for (size_t r = 0; r < sel.rows(); ++r)
        if (sel.heads[r] == 2)
          for (size_t i = 0; i < sel.row_size(r); ++i)
            picked.insert(run->index.id(sel.row_chosen(r)[i], 0));
    std::set<int> painted;
    for (int x = 0; x < image->width; ++x)
      if (image->rgba[size_t(y) * image->width + x] == theme::selected_path()) painted.insert(x);
    EXPECT_EQ(painted, picked) << "step " << image->first_step + y;
  }
}

TEST(SessionModel, BookmarksRoundTripThroughTheRecording) {
  TempRecording rec(testing::small_ssa());
  SessionModel model(rec.path());
  const int64_t run_id = model.default_run();
  EXPECT_TRUE(model.bookmarks(run_id).empty());
  sessions::Bookmark b;
  b.run_id = run_id;
  b.step = 12;
  b.name = "needle found";
  b.note = "layer 1 unfolds the passkey chunk";
  model.add_bookmark(b);
  ASSERT_EQ(model.bookmarks(run_id).size(), 1u);
  EXPECT_EQ(model.bookmarks(run_id)[0].name, "needle found");
  // A fresh model (a later session) sees it in the file.
  SessionModel reopened(rec.path());
  ASSERT_EQ(reopened.bookmarks(run_id).size(), 1u);
  reopened.remove_bookmark(run_id, reopened.bookmarks(run_id)[0].id);
  EXPECT_TRUE(reopened.bookmarks(run_id).empty());
}

// Live mode: a model opened on a file that a Writer is still filling sees the
// new steps after refresh(), and only then.
TEST(SessionModel, RefreshFollowsALiveWriter) {
  TempRecording rec(testing::small_ssa());
  const std::string live = rec.path() + ".live";
  sessions::Reader source(rec.path());
  const int64_t source_run = source.runs().front().id;
  sessions::Writer writer(live);
  sessions::RunInfo info = *source.run(source_run);
  const int64_t run_id = writer.begin_run(info);
  writer.write_layout(run_id, *source.layout(source_run));
  writer.write_mask(run_id, *source.mask(source_run));
  auto copy_steps = [&](int64_t first, int64_t last) {
    for (const auto& d : source.decode_steps(source_run, first, last)) {
      writer.write_decode_step(run_id, d);
      for (int32_t layer = 0; layer < 2; ++layer)
        writer.write_layer_step(run_id, *source.layer_step(source_run, d.step, layer));
    }
    writer.flush();
  };
  copy_steps(0, 4);
  SessionModel model(live);
  EXPECT_EQ(model.run(run_id)->decode_steps.size(), 5u);
  EXPECT_EQ(model.run(run_id)->detail_steps.last, 4);
  EXPECT_FALSE(model.refresh());  // nothing new yet
  model.head_step(run_id, 9, 0, -1);
  model.wait_idle();
  EXPECT_FALSE(model.head_step(run_id, 9, 0, -1)->recorded);

  copy_steps(5, 9);
  EXPECT_TRUE(model.refresh());
  EXPECT_EQ(model.run(run_id)->decode_steps.size(), 10u);
  EXPECT_EQ(model.run(run_id)->detail_steps.last, 9);
  model.head_step(run_id, 9, 0, -1);
  model.wait_idle();
  bool exact = false;
  auto step = model.head_step(run_id, 9, 0, -1, &exact);
  ASSERT_TRUE(exact && step);
  EXPECT_TRUE(step->recorded);
  model.unfolds(run_id, 9);
  model.wait_idle();
  EXPECT_FALSE(model.unfolds(run_id, 9)->level0.empty());
  writer.close();
  ::unlink(live.c_str());
}

TEST(SessionModel, RefusesAFileThatIsNotARecording) {
  const std::string path = "/tmp/ssa_gui_not_a_recording_" + std::to_string(::getpid()) + ".ssarec";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("just text, no SQLite here\n", f);
    std::fclose(f);
  }
  try {
    SessionModel model(path);
    FAIL() << "opened a text file";
  } catch (const sessions::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  ::unlink(path.c_str());
}

TEST(SessionBrowser, RemembersRecentFilesNewestFirstWithoutDuplicates) {
  const std::string config = "/tmp/ssa_gui_config_" + std::to_string(::getpid());
  ::setenv("XDG_CONFIG_HOME", config.c_str(), 1);
  SessionBrowserView::remember("/data/a.ssarec");
  SessionBrowserView::remember("/data/b.ssarec");
  SessionBrowserView::remember("/data/a.ssarec");
  const auto recent = SessionBrowserView::recent();
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0], "/data/a.ssarec");
  EXPECT_EQ(recent[1], "/data/b.ssarec");
  for (int i = 0; i < 15; ++i)
    SessionBrowserView::remember("/data/f" + std::to_string(i) + ".ssarec");
  EXPECT_EQ(SessionBrowserView::recent().size(), 10u);
  ::unsetenv("XDG_CONFIG_HOME");
  files::remove_tree(config);
}

// The numbers the views draw for coverage and the answer flag are the
// recorded ones, summed up exactly as written here from the Reader's rows.
TEST(DecodeQuality, SummaryIsWhatTheRunRecorded) {
  TempRecording rec(testing::small_baselines());
  SessionModel model(rec.path());
  sessions::Reader reader(rec.path());
  const char* const baselines[] = {"none", "none", "oracle", "recency", "gist-only", "full"};
  const char* const labels[] = {"SSA", "SSA", "oracle", "recency", "gist-only", "full attention"};
  const auto& runs = model.runs();
  ASSERT_EQ(runs.size(), 6u);
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunData* run = model.run(runs[i].id);
    ASSERT_TRUE(run);
    const summary::DecodeSummary& q = run->quality;
    EXPECT_EQ(q.baseline, baselines[i]) << runs[i].name;
    EXPECT_EQ(run->baseline, labels[i]) << runs[i].name;
    EXPECT_TRUE(q.shadow_full);
    EXPECT_EQ(q.task, "passkey");
    EXPECT_EQ(q.mode, "head");
    EXPECT_EQ(q.answer, "48213");
    EXPECT_EQ(q.k, i == 1 ? 1 : 3);
    const auto steps = reader.decode_steps(runs[i].id);
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
  const auto quality = [&](size_t i) { return model.run(runs[i].id)->quality; };
  EXPECT_FALSE(quality(5).has_coverage());
  EXPECT_FALSE(quality(5).knows_answer());
  EXPECT_EQ(quality(4).mean_coverage, 0.0);
  EXPECT_EQ(quality(4).max_coverage, 0.0);
  EXPECT_EQ(quality(4).answer_unfolded, 0);
  EXPECT_EQ(quality(4).answer_steps, 12);
  EXPECT_GE(quality(2).mean_coverage, quality(0).mean_coverage);
  EXPECT_GT(quality(0).mean_coverage, quality(1).mean_coverage);  // k = 3 covers more than k = 1
  EXPECT_GT(quality(0).answer_unfolded, 0);
  // Without the shadow nothing is measured, and the model says so.
  testing::RecordingShape plain = testing::small_baselines();
  plain.shadow_full = false;
  TempRecording without(plain);
  SessionModel model2(without.path());
  for (const auto& info : model2.runs()) {
    EXPECT_FALSE(model2.run(info.id)->quality.shadow_full);
    EXPECT_FALSE(model2.run(info.id)->quality.has_coverage()) << info.name;
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
  SessionModel model(rec.path());
  const RunData* run = model.run(model.runs()[1].id);  // ssa k=1: the answer flag varies
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
  // One step a bin: exactly the recorded values.
  const auto single = summary::bin_steps(steps, 0, 11, 12);
  for (size_t i = 0; i < single.size(); ++i) {
    EXPECT_EQ(single[i].coverage, steps[i].full_mass_coverage);
    EXPECT_EQ(single[i].answer(), steps[i].answer_unfolded);
  }
  // Steps the run did not record (a longer run beside it in the compare
  // table) are unknown, not zero.
  const auto wide = summary::bin_steps(steps, 0, 23, 24);
  for (size_t i = 12; i < wide.size(); ++i) {
    EXPECT_EQ(wide[i].coverage, -1.0);
    EXPECT_EQ(wide[i].answer(), -1);
  }
  EXPECT_TRUE(summary::bin_steps(steps, 5, 4, 10).empty());
  EXPECT_EQ(summary::find_step(steps, 99), nullptr);
}

// Coverage axes and bars zoom to the shares recorded, with headroom, never past 1.
TEST(DecodeQuality, ShareAxisLeavesHeadroomAndStopsAtOne) {
  EXPECT_EQ(draw::share_axis_max(0.0), 0.01);
  EXPECT_EQ(draw::share_axis_max(0.132), 0.2);
  EXPECT_EQ(draw::share_axis_max(0.19), 0.25);  // 0.19 * 1.1 > 0.2
  EXPECT_EQ(draw::share_axis_max(0.2309), 0.3);
  EXPECT_EQ(draw::share_axis_max(0.45), 0.5);
  EXPECT_EQ(draw::share_axis_max(0.46), 1.0);
  EXPECT_EQ(draw::share_axis_max(1.0), 1.0);
}

// The new marks take colours that mean nothing else (theme.h).
TEST(Theme, CoverageBookmarkAndMetricColoursMeanNothingElse) {
  std::vector<ImU32> taken = {theme::raw_token(), theme::unfolded(),  theme::selected_path(),
                              theme::answer(),    theme::compare_a(), theme::compare_b(),
                              theme::suffix(),    theme::sink(),      theme::masked(),
                              theme::grid(),      theme::text_dim(),  theme::panel_background()};
  for (int level = 0; level < 5; ++level) taken.push_back(theme::gist_level(level));
  for (int i = 0; i <= 64; ++i) taken.push_back(theme::score_colour(i / 64.0f));
  auto distance = [](ImU32 a, ImU32 b) {
    int d = 0;
    for (int shift : {0, 8, 16}) d += std::abs(int((a >> shift) & 255) - int((b >> shift) & 255));
    return d;
  };
  for (ImU32 mine : {theme::coverage(), theme::bookmark(), theme::metric()})
    for (ImU32 other : taken)
      EXPECT_GT(distance(mine, other), 40) << std::hex << mine << " " << other;
  EXPECT_GT(distance(theme::coverage(), theme::bookmark()), 40);
  EXPECT_GT(distance(theme::coverage(), theme::metric()), 40);
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
  SessionModel model(rec.path());
  for (const auto& info : model.runs()) {
    const RunData* run = model.run(info.id);
    const auto at = text.find("\"" + info.name + "\"");
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
