// A generated recording in a temporary folder, shared by the GUI tests.
#pragma once

#include <unistd.h>

#include <string>

#include "app/gui/core/posix_files.h"
#include "tests/gui/recording_generator.h"

namespace ssa::gui::testing {

class TempRecording {
 public:
  explicit TempRecording(const RecordingShape& shape, const std::string& name = "test.ssarec") {
    dir_ = "/tmp/ssa_gui_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++);
    files::make_directories(dir_);
    path_ = files::join(dir_, name);
    generate_recording(path_, shape);
  }
  ~TempRecording() { files::remove_tree(dir_); }
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
