// Terminal progress line.
#include "engine/train/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace ssa {

ProgressBar::ProgressBar(int64_t first_step, int64_t total_steps, int64_t every, bool enabled)
    : first_(first_step),
      total_(total_steps),
      every_(every),
      enabled_(enabled),
      tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t step, double loss, double lr, double tokens_per_second) {
  if (!enabled_) return;
  const int64_t done = step + 1;
  if (!tty_ && done % every_ != 0 && done != total_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per_step = elapsed / std::max<int64_t>(1, done - first_);
  const int eta = static_cast<int>(per_step * (total_ - done));
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * done / std::max<int64_t>(1, total_));
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "%s[%s] step %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %d:%02d%s",
               tty_ ? "\r" : "", bar, static_cast<long long>(done), static_cast<long long>(total_),
               loss, lr, tokens_per_second, eta / 60, eta % 60, tty_ ? "\x1b[K" : "\n");
  std::fflush(stderr);
  drawn_ = tty_;
}

void ProgressBar::note(const std::string& line) {
  if (!enabled_) return;
  std::fprintf(stderr, "%s%s\n", drawn_ ? "\r\x1b[K" : "", line.c_str());
  drawn_ = false;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace ssa
