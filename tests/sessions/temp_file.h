// A unique recording path under $TMPDIR (or /tmp), removed with its WAL and
// shared-memory files when the test ends.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ssa::sessions::testing {

class TempPath {
 public:
  explicit TempPath(const std::string& stem) {
    const char* dir = std::getenv("TMPDIR");
    static int counter = 0;
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/ssa_" + stem + "_" +
            std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".ssarec";
    remove_all();
  }
  ~TempPath() { remove_all(); }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  const std::string& str() const { return path_; }

 private:
  void remove_all() {
    std::remove(path_.c_str());
    std::remove((path_ + "-wal").c_str());
    std::remove((path_ + "-shm").c_str());
  }
  std::string path_;
};

}  // namespace ssa::sessions::testing
