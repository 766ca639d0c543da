// EvalProgress: one line on stderr for an evaluation (examples done of all,
// the configuration now running, time left), redrawn in place on a terminal
// and printed at every tenth of the work otherwise (logs). stdout keeps the
// table alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ssa::eval {

class EvalProgress {
 public:
  // `total`: examples to decode in this run (resumed ones not counted).
  explicit EvalProgress(int64_t total);
  void update(int64_t done, const std::string& what);
  void finish();

 private:
  int64_t total_, last_tenth_ = -1;
  bool tty_, drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ssa::eval
