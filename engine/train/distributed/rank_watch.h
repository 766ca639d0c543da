// RankWatch: how the ranks of a run learn, within a second or so, that one
// of them failed, so that none waits in a collective for a peer that is gone.
//
// Through the run's TCPStore (a connection of its own):
//   - the first rank (or the --nproc launcher) to fail claims the failure
//     (compare-and-set of one key): it alone reports it, the others exit
//     with its exit code without a word of their own;
//   - every rank beats a heartbeat counter; a peer whose counter stops for
//     `stale_after` (killed, its machine gone) counts as failed;
//   - the store's host (rank 0, or the launcher) going away counts as failed.
// A background thread checks all three every `interval` and calls
// `on_failure` with the failure and the watcher's own store connection (to
// claim what it found); on_failure is expected to end the process.
#pragma once

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ssa {

struct RankFailure {
  int rank = -1;         // who failed (-1: the launcher or the store)
  int code = 1;          // the exit code the run ends with
  std::string what;      // one line
  bool claimed = false;  // read from the store's claim (else: detected here)
};

// The failure claimed in `store`, if any (never blocks).
std::optional<RankFailure> claimed_failure(c10d::Store& store);
// Claims the failure for `failure`; true when this claim is the first (this
// caller reports it), false when another was first.
bool claim_failure(c10d::Store& store, const RankFailure& failure);

class RankWatch {
 public:
  struct Settings {
    std::chrono::milliseconds interval{250};
    std::chrono::milliseconds stale_after{10000};
  };
  RankWatch(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size, Settings settings,
            std::function<void(const RankFailure&, c10d::Store&)> on_failure);
  ~RankWatch();  // stop()s
  RankWatch(const RankWatch&) = delete;
  RankWatch& operator=(const RankWatch&) = delete;

  // The run is ending normally: from now on a store that goes away is no
  // failure (rank 0 may exit first), a claimed failure still is.
  void finishing() { finishing_ = true; }
  void stop();

 private:
  void loop();
  std::optional<RankFailure> check();

  c10::intrusive_ptr<c10d::Store> store_;
  int rank_, world_;
  Settings settings_;
  std::function<void(const RankFailure&, c10d::Store&)> on_failure_;
  // Each peer's heartbeat as last read, and since when it has not moved.
  struct Seen {
    int64_t value = 0;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<Seen> seen_;
  std::atomic<bool> finishing_{false};
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace ssa
