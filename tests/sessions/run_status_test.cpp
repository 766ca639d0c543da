// Run status: finished, failed with its one-line reason, or incomplete; a
// continued run; and version-1 recordings, read as they are and migrated
// before a Writer appends to them.
#include <gtest/gtest.h>

#include "sessions/reader.h"
#include "sessions/recording_format.h"
#include "sessions/writer.h"
#include "tests/sessions/damaged_recording.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;

TEST(RunStatus, FinishedFailedAndIncomplete) {
  TempPath path("status");
  int64_t done, failed, open;
  {
    Writer w(path.str());
    done = w.begin_run(testing::named_run("done"));
    failed = w.begin_run(testing::named_run("failed"));
    open = w.begin_run(testing::named_run("open"));
    w.end_run(done);
    w.fail_run(failed, "step 57: the loss is nan\nsecond line of a backtrace");
  }
  Reader r(path.str());
  EXPECT_EQ(r.run(done)->status(), RunStatus::kFinished);
  EXPECT_EQ(r.run(failed)->status(), RunStatus::kFailed);
  EXPECT_EQ(r.run(failed)->failure, "step 57: the loss is nan");  // one line
  EXPECT_FALSE(r.run(failed)->finished);
  EXPECT_EQ(r.run(open)->status(), RunStatus::kIncomplete);
}

TEST(RunStatus, AReopenedRunIsIncompleteAndLosesLaterTrainSteps) {
  TempPath path("reopen");
  int64_t run;
  {
    Writer w(path.str());
    run = w.begin_run(testing::named_run("train"));
    for (int s = 1; s <= 10; ++s) w.write_train_step(run, {s, 1.0, 0, 0, 0, false});
    w.write_train_step(run, {8, 1.5, 0, 0, 0, true});
    w.fail_run(run, "killed");
  }
  {
    Writer w(path.str());
    w.reopen_run(run, 6);
    Reader r(path.str());
    EXPECT_EQ(r.run(run)->status(), RunStatus::kIncomplete);
    EXPECT_EQ(r.train_step_range(run).last, 6);
    EXPECT_EQ(r.train_steps(run).size(), 6u);  // the evaluation at 8 went too
    EXPECT_THROW(w.reopen_run(run + 1, 0), Error);
  }
}

TEST(RunStatus, VersionOneFilesAreReadAndMigratedBeforeAppending) {
  TempPath path("v1");
  testing::copy_file(testing::demo_recording(), path.str());
  {
    Reader r(path.str());
    ASSERT_EQ(r.format_version(), 1);
    EXPECT_EQ(r.runs().size(), 6u);
    EXPECT_EQ(r.run(1)->status(), RunStatus::kFinished);
  }
  int64_t run;
  {
    Writer w(path.str());
    run = w.begin_run(testing::named_run("appended"));
    w.fail_run(run, "stopped");
  }
  Reader r(path.str());
  EXPECT_EQ(r.format_version(), kFormatVersion);
  ASSERT_EQ(r.runs().size(), 7u);
  EXPECT_EQ(r.run(run)->failure, "stopped");
  EXPECT_EQ(r.run(1)->status(), RunStatus::kFinished);
}

}  // namespace
}  // namespace ssa::sessions
