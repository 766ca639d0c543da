// Bad files: truncated, zero-length, random bytes, foreign SQLite, newer
// versions and damaged pages give one clear line naming the file, never a crash.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "sessions/notebook.h"
#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void make_recording(const std::string& path, int steps = 20) {
  testing::TraceShape shape;
  shape.chunks = 64;
  Layout layout = testing::make_layout(shape);
  Writer w(path);
  int64_t run = w.begin_run(testing::named_run("ssa"));
  w.write_layout(run, layout);
  w.write_mask(run, testing::make_mask(layout, 64));
  for (int s = 0; s < steps; ++s) {
    for (int l = 0; l < shape.layers; ++l)
      w.write_layer_step(run, testing::make_layer_step(shape, layout, s, l));
    w.write_decode_step(run, testing::make_decode_step(s));
  }
  w.end_run(run);
}

void make_sqlite(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

// Opening must fail with a FormatError whose message is one line, names the
// file and contains `reason`.
void expect_refused(const std::string& path, const std::string& reason) {
  try {
    Reader r(path);
    FAIL() << path << " opened";
  } catch (const FormatError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
  }
  EXPECT_THROW(Notebook n(path), FormatError);
}

TEST(BadFiles, ZeroLength) {
  TempPath p("empty");
  write_bytes(p.str(), "");
  expect_refused(p.str(), "empty file");
}

TEST(BadFiles, RandomBytes) {
  TempPath p("random");
  std::mt19937 rng(5);
  for (size_t size : {1u, 15u, 16u, 99u, 100u, 4096u, 70000u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = char(rng());
    write_bytes(p.str(), bytes);
    expect_refused(p.str(), "not an SSA recording");
  }
}

TEST(BadFiles, RandomBytesAfterAnSqliteMagic) {
  TempPath p("magic");
  std::mt19937 rng(6);
  for (int i = 0; i < 50; ++i) {
    std::string bytes(4096 * (1 + i % 3), '\0');
    for (char& c : bytes) c = char(rng());
    std::memcpy(&bytes[0], "SQLite format 3\0", 16);
    write_bytes(p.str(), bytes);
    EXPECT_THROW(Reader r(p.str()), FormatError);
  }
}

TEST(BadFiles, ForeignSqliteDatabase) {
  TempPath p("foreign");
  make_sqlite(p.str(), "CREATE TABLE people(name TEXT); INSERT INTO people VALUES ('ada');");
  expect_refused(p.str(), "application_id 0x00000000");
  // The Writer refuses to append to it too, and leaves it untouched.
  std::string before = read_bytes(p.str());
  EXPECT_THROW(Writer w(p.str()), FormatError);
  EXPECT_EQ(read_bytes(p.str()), before);
}

TEST(BadFiles, OtherApplicationId) {
  TempPath p("otherapp");
  make_sqlite(p.str(), "PRAGMA application_id = 1234; CREATE TABLE t(x);");
  expect_refused(p.str(), "application_id 0x000004d2");
}

TEST(BadFiles, NewerFormatVersion) {
  TempPath p("newer");
  make_recording(p.str(), 2);
  make_sqlite(p.str(), "PRAGMA user_version = 7;");
  expect_refused(p.str(), "format version 7 is newer");
  EXPECT_THROW(Writer w(p.str()), FormatError);
}

TEST(BadFiles, TruncatedAtManyLengths) {
  TempPath whole("whole");
  make_recording(whole.str());
  std::string bytes = read_bytes(whole.str());
  ASSERT_GT(bytes.size(), 16384u * 3);
  TempPath p("truncated");
  for (size_t len : {size_t(10), size_t(99), size_t(100), size_t(4096), size_t(16384),
                     bytes.size() / 2, bytes.size() - 16384, bytes.size() - 1}) {
    write_bytes(p.str(), bytes.substr(0, len));
    try {
      Reader r(p.str());
      FAIL() << "truncated to " << len << " opened";
    } catch (const FormatError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos);
      EXPECT_EQ(msg.rfind(p.str(), 0), 0u);
    }
  }
}

TEST(BadFiles, MissingFileAndDirectory) {
  TempPath p("missing");
  try {
    Reader r(p.str());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), p.str() + ": no such file");
  }
  EXPECT_THROW(Reader r("/tmp"), Error);
}

// Damaged pages past the header: opening may succeed (SQLite reads lazily),
// but every getter either works or throws sessions::Error; none crashes.
TEST(BadFiles, DamagedPagesFailCleanlyInEveryGetter) {
  TempPath whole("whole2");
  make_recording(whole.str(), 30);
  std::string good = read_bytes(whole.str());
  TempPath p("damaged");
  std::mt19937 rng(11);
  int failures = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::string bytes = good;
    // Scribble over a few random ranges beyond the first page.
    for (int k = 0; k < 1 + trial % 4; ++k) {
      size_t at = 16384 + rng() % (bytes.size() - 16384 - 64);
      size_t len = 1 + rng() % 64;
      for (size_t i = 0; i < len; ++i) bytes[at + i] = char(rng());
    }
    write_bytes(p.str(), bytes);
    try {
      Reader r(p.str());
      for (const RunInfo& run : r.runs()) {
        r.layout(run.id);
        r.mask(run.id);
        r.decode_steps(run.id);
        r.decode_step_range(run.id);
        r.detail_step_range(run.id);
        for (int s = 0; s < 30; ++s) {
          r.layer_step(run.id, s, 0);
          r.layer_step(run.id, s, 1);
        }
        r.score_series(run.id, 0, 0, 0, 4);
        r.unfolds(run.id, 0, 3);
        r.bookmarks(run.id);
      }
    } catch (const Error& e) {
      ++failures;
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  EXPECT_GT(failures, 0);  // the damage must have been noticed at least once
}

// The command line: a one-line error and exit 2, bad input (when the app is built).
TEST(BadFiles, InfoCommandExitsTwoWithOneLine) {
  std::string exe = std::string(SSA_BINARY_DIR) + "/app/ssa-workbench";
  struct stat st;
  if (::stat(exe.c_str(), &st) != 0) GTEST_SKIP() << "ssa-workbench not built in this tree";
  TempPath p("cli");
  write_bytes(p.str(), "this is not a recording, just text\n");
  std::string err = p.str() + ".err";
  std::string cmd = "'" + exe + "' info '" + p.str() + "' 2>'" + err + "' >/dev/null";
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::string message = read_bytes(err);
  std::remove(err.c_str());
  ASSERT_FALSE(message.empty());
  EXPECT_EQ(message.find('\n'), message.size() - 1) << message;
  EXPECT_NE(message.find(p.str()), std::string::npos) << message;
}

}  // namespace
}  // namespace ssa::sessions
