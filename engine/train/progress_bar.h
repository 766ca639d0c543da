// ProgressBar: one terminal line for a training run (step, loss, tokens/s,
// ETA), redrawn in place on a terminal and printed every `every` steps
// otherwise (logs, CI). Writes to stderr so stdout stays machine-readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ssa {

class ProgressBar {
 public:
  ProgressBar(int64_t first_step, int64_t total_steps, int64_t every, bool enabled = true);
  void update(int64_t step, double loss, double learning_rate, double tokens_per_second);
  // A line of its own (evaluation results), keeping the bar below it.
  void note(const std::string& line);
  void finish();

 private:
  int64_t first_, total_, every_;
  bool enabled_, tty_, drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ssa
