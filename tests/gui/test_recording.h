// A generated recording in a temporary folder, shared by the GUI tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/gui/recording_generator.h"

namespace ssa::gui::testing {

// rm -r. Not std::filesystem::remove_all: the torch wheel's libtorch.so exports
// its own copy of it, which calls through a null pointer (every other
// std::filesystem function it exports works).
inline void remove_tree(const std::filesystem::path& root) {
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec))
    paths.push_back(it->path());
  for (auto p = paths.rbegin(); p != paths.rend(); ++p) std::filesystem::remove(*p, ec);
  std::filesystem::remove(root, ec);
}

class TempRecording {
 public:
  explicit TempRecording(const RecordingShape& shape, const std::string& name = "test.ssarec") {
    dir_ = (std::filesystem::temp_directory_path() /
            ("ssa_gui_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++)))
               .string();
    std::filesystem::create_directories(dir_);
    path_ = (std::filesystem::path(dir_) / name).string();
    generate_recording(path_, shape);
  }
  ~TempRecording() { remove_tree(dir_); }
  const std::string& path() const { return path_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string dir_;
  std::string path_;
};

inline RecordingShape small_ssa() {
  RecordingShape shape;
  shape.raw_tokens = 420;
  shape.chunk = 8;
  shape.sink = 3;
  shape.previous_chunks = 1;
  shape.steps = 30;
  return shape;
}

// SSA k=3 and k=1 with the full-attention shadow, then every baseline.
inline RecordingShape small_baselines() {
  RecordingShape shape = small_ssa();
  shape.steps = 12;
  shape.train_run = false;
  shape.shadow_full = true;
  shape.baselines = {"oracle", "recency", "gist-only", "full"};
  return shape;
}

inline RecordingShape small_hssa() {
  RecordingShape shape = small_ssa();
  shape.raw_tokens = 900;
  shape.chunk = 4;
  shape.group_sizes = {4};
  shape.k = 2;
  return shape;
}

}  // namespace ssa::gui::testing
