// Recorder: engine Observer calls, one (layer, head, level) at a time, come
// back from the recording as whole (step, layer) records.
#include "app/cli/recorder.h"

#include <gtest/gtest.h>

#include "sessions/reader.h"
#include "tests/sessions/temp_file.h"

namespace ssa::cli {
namespace {

using sessions::testing::TempPath;

trace::LayoutInfo two_chunk_layout() {
  // r0 r1 G0 r2 r3 G1 s0: c = 2, one level, one suffix token.
  trace::LayoutInfo l;
  l.settings_json = "{\"chunk\":2}";
  l.token_ids = {10, 11, 259, 12, 13, 259, 14};
  l.roles = {0, 0, 1, 0, 0, 1, 0};
  l.chunk_ids = {0, 0, 0, 1, 1, 1, 2};
  l.raw_index = {0, 1, -1, 2, 3, -1, 4};
  l.positions = {0, 1, 2, 3, 4, 5, 6};
  l.prefix_length = 6;
  return l;
}

TEST(Recorder, AssemblesLayerStepsFromPerHeadCalls) {
  TempPath path("recorder");
  int64_t run;
  {
    sessions::Writer writer(path.str());
    sessions::RunInfo info;
    info.name = "ssa";
    Recorder rec(writer, info,
                 [](int64_t id) { return id == 259 ? "<G>" : std::string(1, char(id + 87)); });
    run = rec.run_id();
    rec.on_layout(two_chunk_layout());
    trace::MaskInfo mask;
    mask.block_size = 4;
    mask.row_offsets = {0, 1, 3};
    mask.key_blocks = {0, 0, 1};
    mask.kinds = {3, 2, 3};
    rec.on_mask(mask);
    rec.on_train_step({3, 2.5, 1e-5, 100.0, 0.5, false});
    for (int64_t step = 0; step < 2; ++step) {
      for (int32_t layer = 0; layer < 2; ++layer) {
        // Heads reported out of order: the Recorder must sort them.
        for (int32_t head : {1, 0}) {
          float base = float(step * 100 + layer * 10 + head);
          rec.on_chunk_scores(step, {layer, head, 0, {2, 5}, {base, base + 0.5f}});
          rec.on_selection(step, {layer, head, 0, {head == 0 ? int64_t(2) : int64_t(5)}});
        }
      }
      trace::DecodeStep d;
      d.step = step;
      d.token_id = 14 + step;
      d.text = "x";
      d.keys_scored = 2;
      d.keys_read = 4;
      rec.on_decode_step(d);
    }
    // Scores of a step whose decode record never comes are kept by finish().
    rec.on_chunk_scores(2, {0, 0, 0, {2, 5}, {7.f, 8.f}});
    rec.finish();
  }
  sessions::Reader reader(path.str());
  ASSERT_TRUE(reader.run(run)->finished);
  std::optional<sessions::Layout> layout = reader.layout(run);
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->pieces[0], "a");
  EXPECT_EQ(layout->pieces[2], "<G>");
  EXPECT_EQ(reader.mask(run)->key_blocks, (std::vector<int32_t>{0, 0, 1}));
  ASSERT_EQ(reader.train_steps(run).size(), 1u);
  EXPECT_EQ(reader.train_steps(run)[0].loss, 2.5);
  EXPECT_EQ(reader.decode_step_range(run).count, 2);
  for (int64_t step = 0; step < 2; ++step) {
    for (int32_t layer = 0; layer < 2; ++layer) {
      std::optional<sessions::LayerStep> r = reader.layer_step(run, step, layer);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->scores.size(), 1u);
      const sessions::LevelScores& s = r->scores[0];
      EXPECT_EQ(s.heads, (std::vector<int32_t>{0, 1}));
      EXPECT_TRUE(s.shared());  // both heads scored G0, G1: stored once
      EXPECT_EQ(s.candidates, (std::vector<int64_t>{2, 5}));
      for (int32_t head = 0; head < 2; ++head) {
        float base = float(step * 100 + layer * 10 + head);
        EXPECT_EQ(s.row_scores(size_t(head))[0], base);
        EXPECT_EQ(s.row_scores(size_t(head))[1], base + 0.5f);
      }
      ASSERT_EQ(r->selections.size(), 1u);
      EXPECT_EQ(r->selections[0].chosen, (std::vector<int64_t>{2, 5}));
    }
  }
  ASSERT_TRUE(reader.layer_step(run, 2, 0));
  // Chunk 0 (closed by G0 at position 2) was unfolded by head 0 of both layers.
  std::vector<sessions::Unfold> u = reader.unfolds(run, 0, 0);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].layer_mask, 3u);
  EXPECT_EQ(u[0].picks, 2);
}

sessions::RunInfo run_named(const std::string& name) {
  sessions::RunInfo info;
  info.name = name;
  info.kind = "train";
  return info;
}

// A record that dies of an exception is recorded as failed with the
// exception's first line, never as finished.
TEST(Recorder, AnExceptionRecordsTheRunAsFailed) {
  TempPath path("recorder_failed");
  int64_t failed = 0, unwound = 0, interrupted = 0;
  {
    sessions::Writer writer(path.str());
    Recorder rec(writer, run_named("bad_alloc"));
    failed = rec.run_id();
    EXPECT_THROW(record_run(rec,
                            [&] {
                              rec.on_train_step({1, 2.0, 1e-3, 10, 1, false});
                              throw std::runtime_error("out of memory\nbacktrace line");
                            }),
                 std::runtime_error);
    try {
      Recorder cut(writer, run_named("unwound"));
      unwound = cut.run_id();
      throw std::bad_alloc();
    } catch (const std::bad_alloc&) {
    }
    Recorder paused(writer, run_named("interrupted"));
    interrupted = paused.run_id();
    paused.on_train_step({1, 2.0, 1e-3, 10, 1, false});
    paused.leave_incomplete();
  }
  sessions::Reader reader(path.str());
  EXPECT_EQ(reader.run(failed)->status(), sessions::RunStatus::kFailed);
  EXPECT_EQ(reader.run(failed)->failure, "out of memory");
  EXPECT_EQ(reader.train_steps(failed).size(), 1u);  // what was recorded stays
  EXPECT_EQ(reader.run(unwound)->status(), sessions::RunStatus::kFailed);
  EXPECT_NE(reader.run(unwound)->failure.find("stopped before the end"), std::string::npos);
  EXPECT_EQ(reader.run(interrupted)->status(), sessions::RunStatus::kIncomplete);
  EXPECT_EQ(reader.train_steps(interrupted).size(), 1u);
}

// A resumed training run continues its run: steps after the checkpoint go,
// later ones are recorded into the same run, which ends finished.
TEST(Recorder, AResumedRunContinuesTheSameRun) {
  TempPath path("recorder_resumed");
  int64_t run = 0;
  {
    sessions::Writer writer(path.str());
    Recorder first(writer, run_named("train"));
    run = first.run_id();
    for (int64_t s = 1; s <= 7; ++s) first.on_train_step({s, 3.0 - 0.1 * s, 1e-3, 10, 1, false});
    first.leave_incomplete();  // killed at step 7, checkpoint at 5
  }
  {
    sessions::Writer writer(path.str());
    Recorder resumed(writer, run, 5);
    EXPECT_EQ(resumed.run_id(), run);
    for (int64_t s = 6; s <= 9; ++s) resumed.on_train_step({s, 2.0 - 0.1 * s, 1e-3, 10, 1, false});
    resumed.finish();
  }
  sessions::Reader reader(path.str());
  ASSERT_EQ(reader.runs().size(), 1u);
  EXPECT_TRUE(reader.run(run)->finished);
  const auto steps = reader.train_steps(run);
  ASSERT_EQ(steps.size(), 9u);
  for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].step, int64_t(i + 1));
  EXPECT_DOUBLE_EQ(steps[5].loss, 2.0 - 0.6);  // step 6: the resumed run's value
  // A run the file does not have cannot be continued.
  sessions::Writer writer(path.str());
  EXPECT_THROW(Recorder(writer, 42, 0), sessions::Error);
}

}  // namespace
}  // namespace ssa::cli
