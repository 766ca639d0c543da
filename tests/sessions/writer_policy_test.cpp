// Full-queue policies: kBlock loses nothing; kDropDetail never waits, counts
// every dropped layer step, and stores the counter in the file.
#include <gtest/gtest.h>

#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;
using testing::TraceShape;

TraceShape big_shape() {
  TraceShape shape;
  shape.layers = 4;
  shape.heads = 4;
  shape.chunks = 2048;  // 32 KB of scores per layer step: the thread cannot keep up with memcpy
  return shape;
}

TEST(WriterPolicy, BlockLosesNothing) {
  TempPath path("block");
  TraceShape shape = big_shape();
  Layout layout = testing::make_layout(shape);
  std::vector<LayerStep> records;
  for (int l = 0; l < shape.layers; ++l)
    records.push_back(testing::make_layer_step(shape, layout, 0, l));
  WriterOptions options;
  options.max_queue_bytes = 1;  // at most one record waits
  options.when_full = FullQueuePolicy::kBlock;
  const int steps = 50;
  WriterStats stats;
  int64_t run;
  {
    Writer w(path.str(), options);
    run = w.begin_run(testing::named_run("block"));
    w.write_layout(run, layout);
    for (int s = 0; s < steps; ++s) {
      for (LayerStep r : records) {
        r.step = s;
        EXPECT_TRUE(w.write_layer_step(run, std::move(r)));
      }
    }
    w.end_run(run);
    w.flush();
    stats = w.stats();
  }
  EXPECT_EQ(stats.details_dropped, 0);
  EXPECT_EQ(stats.records_written, stats.records_enqueued);
  Reader reader(path.str());
  EXPECT_EQ(reader.detail_step_range(run).count, steps);
  EXPECT_EQ(reader.run(run)->dropped_details, 0);
  for (int s = 0; s < steps; ++s) {
    for (int l = 0; l < shape.layers; ++l) ASSERT_TRUE(reader.layer_step(run, s, l));
  }
}

TEST(WriterPolicy, DropDetailCountsWhatItDropsAndStoresTheCounter) {
  TempPath path("drop");
  TraceShape shape = big_shape();
  Layout layout = testing::make_layout(shape);
  std::vector<LayerStep> records;
  for (int l = 0; l < shape.layers; ++l)
    records.push_back(testing::make_layer_step(shape, layout, 0, l));
  WriterOptions options;
  options.max_queue_bytes = 1;
  options.when_full = FullQueuePolicy::kDropDetail;
  const int steps = 200;
  int64_t run, dropped = 0;
  WriterStats stats;
  std::vector<std::pair<int, int>> kept;
  {
    Writer w(path.str(), options);
    run = w.begin_run(testing::named_run("drop"));
    for (int s = 0; s < steps; ++s) {
      for (int l = 0; l < shape.layers; ++l) {
        LayerStep r = records[size_t(l)];
        r.step = s;
        if (w.write_layer_step(run, std::move(r))) {
          kept.push_back({s, l});
        } else {
          ++dropped;
        }
      }
      // Decode steps are never dropped, whatever the queue holds.
      w.write_decode_step(run, testing::make_decode_step(s));
    }
    w.end_run(run);
    w.close();
    stats = w.stats();
  }
  ASSERT_GT(dropped, 0) << "the queue never filled: the test shows nothing";
  EXPECT_EQ(stats.details_dropped, dropped);
  EXPECT_EQ(stats.blocked_calls, 0);
  Reader reader(path.str());
  EXPECT_EQ(reader.run(run)->dropped_details, dropped);
  EXPECT_EQ(reader.decode_step_range(run).count, steps);
  int64_t present = 0;
  for (int s = 0; s < steps; ++s) {
    for (int l = 0; l < shape.layers; ++l) present += reader.layer_step(run, s, l).has_value();
  }
  EXPECT_EQ(present, int64_t(kept.size()));
  EXPECT_EQ(present + dropped, int64_t(steps) * shape.layers);
  for (auto [s, l] : kept) ASSERT_TRUE(reader.layer_step(run, s, l));
}

TEST(WriterPolicy, DropCounterIsInTheFileBeforeTheRunEnds) {
  TempPath path("dropmid");
  TraceShape shape = big_shape();
  Layout layout = testing::make_layout(shape);
  LayerStep record = testing::make_layer_step(shape, layout, 0, 0);
  WriterOptions options;
  options.max_queue_bytes = 1;
  options.when_full = FullQueuePolicy::kDropDetail;
  Writer w(path.str(), options);
  int64_t run = w.begin_run(testing::named_run("drop"));
  int64_t dropped = 0;
  for (int s = 0; s < 300; ++s) {
    LayerStep r = record;
    r.step = s;
    dropped += !w.write_layer_step(run, std::move(r));
  }
  w.write_decode_step(run, testing::make_decode_step(0));  // one more batch carries the counter
  w.flush();
  ASSERT_GT(dropped, 0);
  Reader reader(path.str());
  EXPECT_EQ(reader.run(run)->dropped_details, dropped);
  EXPECT_FALSE(reader.run(run)->finished);
}

TEST(WriterPolicy, DropsAfterTheLastBatchAreStoredAtClose) {
  TempPath path("droplast");
  TraceShape shape = big_shape();
  Layout layout = testing::make_layout(shape);
  LayerStep record = testing::make_layer_step(shape, layout, 0, 0);
  WriterOptions options;
  options.max_queue_bytes = 1;
  options.when_full = FullQueuePolicy::kDropDetail;
  int64_t run, dropped = 0;
  {
    Writer w(path.str(), options);
    run = w.begin_run(testing::named_run("drop"));
    for (int s = 0; s < 300; ++s) {
      LayerStep r = record;
      r.step = s;
      dropped += !w.write_layer_step(run, std::move(r));
    }
  }  // no end_run, no later record: close() alone must store the counter
  ASSERT_GT(dropped, 0);
  Reader reader(path.str());
  EXPECT_EQ(reader.run(run)->dropped_details, dropped);
}

}  // namespace
}  // namespace ssa::sessions
