// The real ssa-workbench binary: bad input exits 2 with one line on stderr,
// and the commands that need no engine never load LibTorch (their peak memory
// is that of a small program, not the ~470 MB LibTorch takes at load).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sessions/damaged_recording.h"
#include "tests/sessions/temp_file.h"

namespace {

using ssa::sessions::testing::TempPath;

std::string binary() {
  return std::string(SSA_BINARY_DIR) + "/app/ssa-workbench";
}

struct Outcome {
  int exit_code = -1;
  std::string err;
  long max_rss_kb = 0;
};

Outcome run(const std::vector<std::string>& args) {
  const std::string err_path = "/tmp/ssa_exit_codes_" + std::to_string(::getpid()) + ".err";
  const std::string self = binary();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(self.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.max_rss_kb = usage.ru_maxrss;
  std::ifstream in(err_path);
  std::stringstream s;
  s << in.rdbuf();
  o.err = s.str();
  std::remove(err_path.c_str());
  return o;
}

class CliExitCodes : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (::stat(binary().c_str(), &st) != 0) GTEST_SKIP() << "ssa-workbench is not built";
  }
};

TEST_F(CliExitCodes, BadInputExitsTwoWithOneLine) {
  TempPath junk("junk");
  std::ofstream(junk.str()) << "not a recording";
  const std::string demo = ssa::sessions::testing::demo_recording();
  const std::vector<std::vector<std::string>> cases = {
      {"info", junk.str()},
      {"info", junk.str() + ".missing"},
      {"export", demo, "--what", "colours"},
      {"export", demo, "--what", "scores", "--layer", "99", "--out", junk.str() + ".csv"},
      {"bench", "decode", "--heads", "0"},
      {"bench", "decode", "--kv-heads", "0"},          // used to die of SIGFPE
      {"bench", "kernels", "--top-ks", "auto,bogus"},  // checked while parsing, GPU or not
      {"no-such-command"},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args[0] + " " + (args.size() > 1 ? args[1] : ""));
    const Outcome o = run(args);
    EXPECT_EQ(o.exit_code, 2) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_EQ(o.err.rfind("ssa-workbench: ", 0), 0u) << o.err;
  }
  EXPECT_EQ(::access((junk.str() + ".csv").c_str(), F_OK), -1);
}

TEST_F(CliExitCodes, CommandsThatNeedNoEngineDoNotLoadLibTorch) {
  const std::string demo = ssa::sessions::testing::demo_recording();
  TempPath csv("exit_codes_csv");
  const Outcome info = run({"info", demo});
  const Outcome exported = run({"export", demo, "--what", "scores", "--out", csv.str()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  // Loading LibTorch alone takes ~470 MB; these read a 2 MB recording.
  EXPECT_LT(info.max_rss_kb, 100 * 1024);
  EXPECT_LT(exported.max_rss_kb, 100 * 1024);
  // The engine's commands are still there, loaded on demand.
  const Outcome help = run({"bench", "decode", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_GT(help.max_rss_kb, 100 * 1024);
}

}  // namespace
