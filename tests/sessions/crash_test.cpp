// Crash: a child process records and is killed with SIGKILL mid-run. The file
// must open, pass PRAGMA integrity_check, and hold every batch the child had
// seen committed (flush() returned) before the kill, exactly as written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;
using testing::TraceShape;

TraceShape crash_shape() {
  TraceShape shape;
  shape.layers = 4;
  shape.heads = 4;
  shape.chunks = 256;
  shape.k = 4;
  return shape;
}

// The child: records steps forever; after each flush() it reports the last
// committed step on the pipe. Never returns.
[[noreturn]] void record_until_killed(const std::string& path, int report_fd) {
  try {
    TraceShape shape = crash_shape();
    Layout layout = testing::make_layout(shape);
    WriterOptions options;
    options.max_batch_ms = 20;
    Writer w(path, options);
    int64_t run = w.begin_run(testing::named_run("crash"));
    w.write_layout(run, layout);
    for (int64_t step = 0; step < 1000000; ++step) {
      for (int l = 0; l < shape.layers; ++l) {
        w.write_layer_step(run, testing::make_layer_step(shape, layout, step, l));
      }
      w.write_decode_step(run, testing::make_decode_step(step));
      if (step % 7 == 6) {
        w.flush();
        if (::write(report_fd, &step, sizeof step) != sizeof step) ::_exit(3);
      }
    }
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);
}

TEST(Crash, SigkillMidRunKeepsEveryCommittedBatch) {
  TempPath path("crash");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    record_until_killed(path.str(), fds[1]);
  }
  ::close(fds[1]);
  int64_t committed = -1, step;
  // Let several batches commit, then kill while the child keeps writing.
  while (committed < 60 && ::read(fds[0], &step, sizeof step) == sizeof step) committed = step;
  ASSERT_GE(committed, 60) << "child stopped early";
  ::usleep(3000);  // land the kill inside a later batch, not at a flush boundary
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child was not killed";
  // Reports written before the kill are still in the pipe.
  while (::read(fds[0], &step, sizeof step) == sizeof step) committed = step;
  ::close(fds[0]);

  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.str().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "ok");
    sqlite3_finalize(s);
    sqlite3_close(db);
  }

  Reader reader(path.str());
  std::vector<RunInfo> runs = reader.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].finished);
  int64_t run = runs[0].id;
  TraceShape shape = crash_shape();
  Layout layout = testing::make_layout(shape);
  ASSERT_TRUE(reader.layout(run));
  EXPECT_EQ(reader.layout(run)->token_ids, layout.token_ids);
  StepRange range = reader.decode_step_range(run);
  EXPECT_GE(range.last, committed);
  EXPECT_EQ(range.count, range.last + 1);  // batches commit whole: no holes
  for (int64_t s = 0; s <= committed; ++s) {
    for (int l = 0; l < shape.layers; ++l) {
      std::optional<LayerStep> got = reader.layer_step(run, s, l);
      ASSERT_TRUE(got) << "step " << s << " layer " << l << " lost";
      LayerStep want = testing::make_layer_step(shape, layout, s, l);
      ASSERT_EQ(got->selections.back().chosen, want.selections.back().chosen);
      ASSERT_EQ(got->scores.back().scores.size(), want.scores.back().scores.size());
      for (size_t i = 0; i < want.scores.back().scores.size(); ++i) {
        ASSERT_EQ(got->scores.back().scores[i], float(_Float16(want.scores.back().scores[i])));
      }
    }
  }
  std::vector<DecodeStepRecord> decode = reader.decode_steps(run, 0, committed);
  ASSERT_EQ(int64_t(decode.size()), committed + 1);
  for (const DecodeStepRecord& d : decode)
    EXPECT_EQ(d.text, testing::make_decode_step(d.step).text);
}

}  // namespace
}  // namespace ssa::sessions
