#include "engine/eval/eval_progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace ssa::eval {

EvalProgress::EvalProgress(int64_t total)
    : total_(total), tty_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

void EvalProgress::update(int64_t done, const std::string& what) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double share = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1;
  const int filled = static_cast<int>(share * 24);
  const std::string bar = std::string(filled, '#') + std::string(24 - filled, '-');
  const std::string left = done > 0
                               ? fmt::format("{:.0f}s left", seconds / static_cast<double>(done) *
                                                                 static_cast<double>(total_ - done))
                               : "";
  const std::string line =
      fmt::format("eval [{}] {}/{} examples  {}  {}", bar, done, total_, what, left);
  if (tty_) {
    fmt::print(stderr, "\r{:<100}", line);
    drawn_ = true;
  } else if (const int64_t tenth = total_ > 0 ? done * 10 / total_ : 10; tenth != last_tenth_) {
    last_tenth_ = tenth;
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

void EvalProgress::finish() {
  if (drawn_) fmt::print(stderr, "\n");
  drawn_ = false;
}

}  // namespace ssa::eval
