// The GUI's commands as a user runs them, as child processes of the real
// binary: damaged recordings (edited with SQL from a generated one) never
// crash `screenshot` or `bench gui`; options out of range and an --out that
// is the recording itself exit 2 with one line and write nothing; the
// private Xvfb dies with its parent, also when the parent is killed;
// `bench gui --live` prints resident memory; `--version` answers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/gui/test_recording.h"

#ifndef SSA_WORKBENCH
#error "SSA_WORKBENCH (the ssa-workbench binary) must be defined"
#endif

namespace ssa::gui {
namespace {

namespace fs = std::filesystem;
using testing::TempRecording;

struct Result {
  int code = -1;   // exit code, -1 when killed by a signal
  int signal = 0;  // the signal that ended it, 0 when it exited
  std::string out, err;
};

// Runs the workbench binary with `args`, stdout and stderr captured. The
// child has no DISPLAY: it starts (and must stop) its own Xvfb.
Result run(const std::vector<std::string>& args, int timeout_s = 240) {
  const std::string dir = fs::temp_directory_path() / ("ssa_gui_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = dir + "/out", err = dir + "/err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::unsetenv("DISPLAY");
    std::FILE* o = std::freopen(out.c_str(), "w", stdout);
    std::FILE* e = std::freopen(err.c_str(), "w", stderr);
    (void)o, (void)e;
    std::vector<char*> argv;
    std::string self = SSA_WORKBENCH;
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::alarm(static_cast<unsigned>(timeout_s));
    ::execv(self.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Result r;
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  std::ostringstream so, se;
  so << std::ifstream(out).rdbuf();
  se << std::ifstream(err).rdbuf();
  r.out = so.str(), r.err = se.str();
  testing::remove_tree(dir);
  return r;
}

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

bool have_xvfb() {
  return std::system("command -v Xvfb > /dev/null 2>&1") == 0;
}

// A copy of `source` with `sql` applied.
std::string damaged_copy(const std::string& source, const std::string& name,
                         const std::string& sql) {
  const std::string path = fs::path(source).parent_path() / (name + ".ssarec");
  fs::copy_file(source, path, fs::copy_options::overwrite_existing);
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "") << "\n"
      << sql;
  sqlite3_free(error);
  sqlite3_close(db);
  return path;
}

// Bytes [offset, offset + n) of a blob column replaced by `hex` (CAST keeps it a blob).
std::string patch(const std::string& column, int offset, int n, const std::string& hex) {
  return "CAST(substr(" + column + ", 1, " + std::to_string(offset) + ") || x'" + hex +
         "' || substr(" + column + ", " + std::to_string(offset + n + 1) + ") AS BLOB)";
}

class GuiCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto shape = testing::small_baselines();
    shape.baselines = {"oracle", "full"};
    recording_ = new TempRecording(shape);
  }
  static void TearDownTestSuite() { delete recording_; }
  static TempRecording* recording_;

 public:
  static std::string folder() { return fs::path(recording_->path()).parent_path().string(); }
};
TempRecording* GuiCli::recording_ = nullptr;

struct Damage {
  const char* name;
  std::string sql;
};

// Recordings that `info` and `export` read: the views must not index past
// anything, whatever the recording says (valgrind found reads past arrays in
// exactly these cases). Either a picture or a one-line refusal, never a crash.
TEST_F(GuiCli, DamagedRecordingsNeverCrashTheViews) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const std::vector<Damage> damages = {
      {"role", "UPDATE layouts SET roles = " + patch("roles", 100, 1, "07") + ";"},
      {"chosen", "UPDATE level_records SET chosen = " + patch("chosen", 0, 4, "ffffff7f") +
                     " WHERE chosen IS NOT NULL;"},
      {"candidate",
       "UPDATE candidate_sets SET positions = " + patch("positions", 0, 4, "ffffff7f") + ";"},
      {"chunk_id",
       "UPDATE layouts SET chunk_ids = " + patch("chunk_ids", 400, 4, "ffffff7f") + ";"},
      {"step",
       "UPDATE level_records SET step = 4611686018427387904 WHERE step = 3;"
       "UPDATE decode_steps SET step = 4611686018427387904 WHERE step = 5;"},
      {"mask_offsets",
       "UPDATE masks SET row_offsets = CAST(substr(row_offsets, 17, 8) || substr(row_offsets, 9, "
       "8) "
       "|| substr(row_offsets, 1, 8) || substr(row_offsets, 25) AS BLOB);"},
      {"layer", "UPDATE level_records SET layer = 2147483000 WHERE step = 2 AND layer = 1;"},
      {"head", "UPDATE level_records SET heads = " + patch("heads", 0, 4, "ffffff7f") +
                   " WHERE heads IS NOT NULL;"},
  };
  const std::string png = fs::path(recording_->path()).parent_path() / "shot.png";
  for (const auto& d : damages) {
    const std::string path = damaged_copy(recording_->path(), d.name, d.sql);
    for (const char* view : {"all", "compare", "training"}) {
      const Result r =
          run({"screenshot", path, "--view", view, "--size", "1000x700", "--out", png});
      EXPECT_EQ(r.signal, 0) << d.name << " " << view << ": killed by signal " << r.signal << "\n"
                             << r.err;
      // A picture of what is sound, or the Reader's refusal (bad input: exit 2).
      EXPECT_TRUE(r.code == 0 || r.code == 2)
          << d.name << " " << view << ": exit " << r.code << "\n"
          << r.err;
      EXPECT_LE(lines(r.err), 1u) << d.name << " " << view << ":\n" << r.err;
      if (r.code == 2) {
        EXPECT_NE(r.err.find(path), std::string::npos) << "the refusal names the file: " << r.err;
      }
    }
    const Result b = run({"bench", "gui", path, "--frames", "40", "--size", "1000x700"});
    EXPECT_EQ(b.signal, 0) << d.name << " bench: signal " << b.signal << "\n" << b.err;
    EXPECT_TRUE(b.code == 0 || b.code == 2) << d.name << " bench: exit " << b.code << "\n" << b.err;
    EXPECT_LE(lines(b.err), 1u) << d.name << " bench:\n" << b.err;
  }
}

TEST_F(GuiCli, OptionsOutOfRangeExitTwoInOneLineAndWriteNothing) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const std::string png = fs::path(recording_->path()).parent_path() / "never.png";
  for (const auto& args : std::vector<std::vector<std::string>>{{"--step", "12"},
                                                                {"--step", "-7"},
                                                                {"--layer", "2"},
                                                                {"--run", "42"},
                                                                {"--head", "9"}}) {
    std::vector<std::string> all = {"screenshot", recording_->path(), "--out", png};
    all.insert(all.end(), args.begin(), args.end());
    const Result r = run(all);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(png)) << args[0];
  }
}

TEST_F(GuiCli, ScreenshotRefusesToWriteOverItsRecording) {
  const std::string copy = fs::path(recording_->path()).parent_path() / "self.ssarec";
  fs::copy_file(recording_->path(), copy, fs::copy_options::overwrite_existing);
  const auto size = fs::file_size(copy);
  const std::string dotted =
      fs::path(copy).parent_path().string() + "/./" + fs::path(copy).filename().string();
  for (const std::string& out : {copy, dotted}) {
    const Result r = run({"screenshot", copy, "--out", out});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("is the input"), std::string::npos) << r.err;
    EXPECT_EQ(fs::file_size(copy), size);
  }
  // A folder that does not exist: refused before anything is drawn.
  const Result r = run({"screenshot", copy, "--out", "/nonexistent-folder/x.png"});
  EXPECT_EQ(r.code, 2) << r.err;
  // A successful write leaves no temporary file behind.
  if (have_xvfb()) {
    const std::string png = fs::path(copy).parent_path() / "ok.png";
    const Result ok =
        run({"screenshot", copy, "--view", "mask", "--size", "640x480", "--out", png});
    ASSERT_EQ(ok.code, 0) << ok.err;
    EXPECT_TRUE(fs::exists(png));
    for (const auto& e : fs::directory_iterator(fs::path(copy).parent_path()))
      EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
}

// Pids of Xvfb processes whose parent is `parent`.
std::vector<pid_t> xvfb_children(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (comm == "Xvfb" && ppid == parent) out.push_back(std::stoi(name));
  }
  return out;
}

bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && line[close + 2] != 'Z';
}

// The private Xvfb of a command that is killed (as a crash would end it) dies too.
TEST_F(GuiCli, PrivateXvfbDiesWithItsParent) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::unsetenv("DISPLAY");
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    const std::string self = SSA_WORKBENCH;
    ::execl(self.c_str(), self.c_str(), "bench", "gui", recording_->path().c_str(), "--frames",
            "100000", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::vector<pid_t> servers;
  for (int i = 0; i < 200 && servers.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    servers = xvfb_children(pid);
  }
  ASSERT_EQ(servers.size(), 1u) << "the command started no Xvfb";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gone = !alive(servers[0]);
  }
  if (!gone) ::kill(servers[0], SIGKILL);
  EXPECT_TRUE(gone) << "Xvfb " << servers[0] << " outlived its parent";
}

TEST_F(GuiCli, BenchLivePrintsResidentMemoryAtStartAndEnd) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const Result r =
      run({"bench", "gui", recording_->path(), "--live", "--refreshes", "60", "--size", "800x600"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("60 refreshes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("resident memory:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p95"), std::string::npos) << r.out;
  // Where the memory is: anonymous pages (the heap) apart from file-backed ones.
  EXPECT_NE(r.out.find("anonymous (RssAnon)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file-backed (RssFile)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 steps at the start, 61 at the end"), std::string::npos) << r.out;
  const Result started = run({"bench", "gui", recording_->path(), "--live", "--refreshes", "30",
                              "--start-steps", "50", "--size", "800x600"});
  ASSERT_EQ(started.code, 0) << started.err;
  EXPECT_NE(started.out.find("50 steps at the start, 80 at the end"), std::string::npos)
      << started.out;
  const Result none = run({"bench", "gui", recording_->path(), "--live", "--start-steps", "0"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("--start-steps"), std::string::npos) << none.err;
  const Result plain =
      run({"bench", "gui", recording_->path(), "--frames", "30", "--size", "800x600"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_NE(plain.out.find("resident memory:"), std::string::npos) << plain.out;
}

// A failed run (runs.failure) is drawn, never taken for a live one.
TEST_F(GuiCli, FailedRunRenders) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const std::string path = damaged_copy(recording_->path(), "failed",
                                        "UPDATE runs SET finished = 0, failure = 'out of memory';");
  const std::string png = fs::path(path).parent_path() / "failed.png";
  const Result r = run({"screenshot", path, "--size", "1000x700", "--out", png});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(png));
}

// PNG width and height from its IHDR chunk.
std::pair<int, int> png_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[24] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  auto be = [&](int at) {
    return (h[at] << 24) | (h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3];
  };
  if (!in || h[1] != 'P' || h[12] != 'I') return {-1, -1};
  return {be(16), be(20)};
}

// The first screen needs no recording; every other view does (one line, exit 2).
TEST_F(GuiCli, ScreenshotOfTheDemosNeedsNoRecording) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const std::string png = fs::path(GuiCli::folder()) / "demos.png";
  const Result r = run({"screenshot", "--view", "demos", "--size", "1280x720", "--out", png});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(png_size(png), std::make_pair(1280, 720));
  const std::string never = fs::path(GuiCli::folder()) / "never-mask.png";
  const Result mask = run({"screenshot", "--view", "mask", "--out", never});
  EXPECT_EQ(mask.code, 2) << mask.err;
  EXPECT_EQ(lines(mask.err), 1u) << mask.err;
  EXPECT_NE(mask.err.find("--view mask"), std::string::npos) << mask.err;
  EXPECT_FALSE(fs::exists(never));
}

// --view names the page drawn, whatever choosing the run does to the panel
// (a run shown leaves the first screen): demos with a recording is the
// demos page, not the recording's grid.
TEST_F(GuiCli, ScreenshotDrawsTheViewAskedWithARecording) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const fs::path dir = fs::path(GuiCli::folder());
  const auto shot = [&](const std::string& view) {
    const std::string png = (dir / ("asked-" + view + ".png")).string();
    const Result r =
        run({"screenshot", recording_->path(), "--view", view, "--size", "800x600", "--out", png});
    EXPECT_EQ(r.code, 0) << r.err;
    std::ifstream in(png, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string demos = shot("demos"), all = shot("all");
  ASSERT_FALSE(demos.empty());
  EXPECT_TRUE(demos != all) << "--view demos drew the same picture as --view all";
}

// A results folder as `eval` writes it (the contract), tiny.
std::string results_folder(const std::string& name, const std::string& results_rows) {
  const fs::path dir = fs::path(GuiCli::folder()) / name;
  fs::create_directories(dir);
  std::ofstream(dir / "results.csv")
      << "method,task,context,k,levels,n,exact,char_accuracy,compression,recall,coverage_mean,"
         "coverage_p10,keys_scored_per_step,keys_read_per_step,ms_per_step\n"
      << results_rows;
  return dir.string();
}

TEST_F(GuiCli, ChartWritesThePngOfTheSizeAskedAtomically) {
  if (!have_xvfb()) GTEST_SKIP() << "no Xvfb";
  const std::string dir = results_folder("chart_ok",
                                         "ssa,passkey,1024,2,,4,1,1,5,1,,,300,180,1.2\n"
                                         "ssa,passkey,4096,2,,4,0.5,0.7,18,0.5,,,900,200,1.5\n"
                                         "full,passkey,1024,,,4,1,1,1,1,,,1024,1024,2\n"
                                         "full,passkey,4096,,,4,1,1,1,1,,,4096,4096,6\n");
  const Result r = run({"chart", dir});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(png_size(dir + "/chart.png"), std::make_pair(1200, 700));
  const std::string other = dir + "/small.png";
  const Result s = run({"chart", dir, "--out", other, "--size", "640x400"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(png_size(other), std::make_pair(640, 400));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  // Never over its input.
  const Result onto = run({"chart", dir, "--out", dir + "/results.csv"});
  EXPECT_EQ(onto.code, 2) << onto.err;
  EXPECT_EQ(lines(onto.err), 1u) << onto.err;
  // The panel as `screenshot` draws it.
  const Result shot = run({"screenshot", dir, "--size", "1280x720", "--out", dir + "/panel.png"});
  ASSERT_EQ(shot.code, 0) << shot.err;
  EXPECT_EQ(png_size(dir + "/panel.png"), std::make_pair(1280, 720));
  const Result mask = run({"screenshot", dir, "--view", "mask", "--out", dir + "/mask.png"});
  EXPECT_EQ(mask.code, 2) << mask.err;
  EXPECT_FALSE(fs::exists(dir + "/mask.png"));
}

TEST_F(GuiCli, ChartRefusesABadFolderInOneLineAndWritesNothing) {
  const std::string damaged =
      results_folder("chart_bad", "ssa,passkey,1024,2,,4,1.7,1,5,1,,,300,180,1.2\n");
  const std::string empty = (fs::path(GuiCli::folder()) / "chart_empty").string();
  fs::create_directories(empty);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"chart", damaged},
           {"chart", empty},
           {"chart", empty + "/missing"},
           {"chart", damaged, "--size", "10x10"},
           {"gui", damaged},
       }) {
    const Result r = run(args);
    EXPECT_EQ(r.code, 2) << args[1] << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
  }
  EXPECT_FALSE(fs::exists(damaged + "/chart.png"));
  const Result r = run({"chart", damaged});
  EXPECT_NE(r.err.find("results.csv line 2, column exact"), std::string::npos) << r.err;
}

TEST(GuiCliVersion, VersionNamesTheProgramAndTheFormat) {
  const Result r = run({"--version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ssa-workbench ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("recording format"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ssa::gui
