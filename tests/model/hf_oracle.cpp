// Finds or makes the oracle's output (see hf_oracle.h).
#include "tests/model/hf_oracle.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace ssa::test {
namespace {

namespace fs = std::filesystem;

std::string first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::string oracle_dir(std::string* why, bool* missing) {
  static std::string dir, reason;
  static bool python_missing = false, done = false;
  if (!done) {
    done = true;
    const fs::path fixture = fs::path(SSA_BINARY_DIR) / "tests" / "model" / "hf_parity";
    if (fs::exists(fixture / "DONE")) {
      dir = fixture.string();
    } else if (fs::exists(fixture / "UNAVAILABLE")) {
      reason = first_line(fixture / "UNAVAILABLE");
      python_missing = true;
    } else {
      // Run on its own (not under CTest): one directory per process, kept for
      // inspection under the build directory.
      dir = (fixture.parent_path() / ("hf_parity-" + std::to_string(getpid()))).string();
      const std::string log = dir + ".log";
      const std::string cmd = std::string("\"") + SSA_PYTHON + "\" \"" + SSA_SOURCE_DIR +
                              "/scripts/hf_parity.py\" --out \"" + dir + "\" --smollm2 \"" +
                              SSA_SOURCE_DIR + "/.cache/models/smollm2-135m-instruct\" > \"" + log +
                              "\" 2>&1";
      const int rc = std::system(cmd.c_str());
      if (rc != 0) {
        python_missing =
            std::string(SSA_PYTHON).empty() || (WIFEXITED(rc) && WEXITSTATUS(rc) == 77);
        reason = python_missing
                     ? "Python oracle (torch, transformers) missing, see " + log
                     : "scripts/hf_parity.py failed (exit " + std::to_string(rc) + "), see " + log;
        dir.clear();
      }
    }
  }
  *why = reason;
  *missing = python_missing;
  return dir;
}

}  // namespace ssa::test
