// Live mode: a Reader opened on a file still being written sees each
// committed batch after refresh(), and refresh() says when nothing changed.
#include <gtest/gtest.h>

#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;

TEST(LiveFollow, ReaderSeesCommittedBatchesWhileTheWriterRuns) {
  TempPath path("live");
  testing::TraceShape shape;
  Layout layout = testing::make_layout(shape);
  Writer w(path.str());
  int64_t run = w.begin_run(testing::named_run("live"));
  w.write_layout(run, layout);
  w.flush();

  Reader reader(path.str());  // opened while the Writer holds the file
  EXPECT_FALSE(reader.refresh());
  EXPECT_EQ(reader.decode_step_range(run).count, 0);
  ASSERT_TRUE(reader.layout(run));

  for (int64_t batch = 0; batch < 5; ++batch) {
    for (int64_t s = batch * 10; s < batch * 10 + 10; ++s) {
      w.write_decode_step(run, testing::make_decode_step(s));
      for (int l = 0; l < shape.layers; ++l) {
        w.write_layer_step(run, testing::make_layer_step(shape, layout, s, l));
      }
    }
    w.flush();
    EXPECT_TRUE(reader.refresh());
    EXPECT_FALSE(reader.refresh());
    StepRange r = reader.decode_step_range(run);
    EXPECT_EQ(r.count, batch * 10 + 10);
    EXPECT_EQ(r.last, batch * 10 + 9);
    EXPECT_TRUE(reader.layer_step(run, r.last, shape.layers - 1));
  }
  EXPECT_FALSE(reader.run(run)->finished);
  w.end_run(run);
  w.close();
  EXPECT_TRUE(reader.refresh());
  EXPECT_TRUE(reader.run(run)->finished);
  EXPECT_EQ(reader.decode_step_range(run).count, 50);
}

}  // namespace
}  // namespace ssa::sessions
