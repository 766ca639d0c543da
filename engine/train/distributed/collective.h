// Waiting for a c10d collective, with one error type for every way it can
// fail (a peer died, the network broke, the timeout passed): Gloo throws
// std::runtime_error subclasses, NCCL c10 errors. CollectiveFailure is no
// std::runtime_error, so that the command's "unusable input file" handling
// (which catches those) lets it through to the rank's failure report.
#pragma once

#include <torch/csrc/distributed/c10d/Work.hpp>

#include <exception>
#include <string>

namespace ssa {

class CollectiveFailure : public std::exception {
 public:
  explicit CollectiveFailure(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

// Runs `start` (which launches a collective) and waits for it; any failure
// becomes a CollectiveFailure.
template <typename Start>
void run_collective(Start&& start) {
  try {
    c10::intrusive_ptr<c10d::Work> work = start();
    if (work) work->wait();
  } catch (const CollectiveFailure&) {
    throw;
  } catch (const c10::Error& e) {
    throw CollectiveFailure(e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw CollectiveFailure(e.what());
  }
}

}  // namespace ssa
