// Failure claims and heartbeats over the run's store (see rank_watch.h).
#include "engine/train/distributed/rank_watch.h"

#include <sstream>
#include <vector>

namespace ssa {
namespace {

constexpr const char* kFailureKey = "failure";

std::string beat_key(int rank) {
  return "beat/" + std::to_string(rank);
}

std::vector<uint8_t> bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string encode(const RankFailure& f) {
  return std::to_string(f.code) + "\n" + std::to_string(f.rank) + "\n" + f.what;
}

RankFailure decode(const std::vector<uint8_t>& value) {
  std::istringstream in(std::string(value.begin(), value.end()));
  RankFailure f;
  std::string line;
  if (std::getline(in, line)) f.code = std::atoi(line.c_str());
  if (std::getline(in, line)) f.rank = std::atoi(line.c_str());
  std::getline(in, f.what);
  f.claimed = true;
  return f;
}

}  // namespace

std::optional<RankFailure> claimed_failure(c10d::Store& store) {
  if (!store.check({kFailureKey})) return std::nullopt;
  return decode(store.get(kFailureKey));
}

bool claim_failure(c10d::Store& store, const RankFailure& failure) {
  const std::vector<uint8_t> mine = bytes(encode(failure));
  // An empty expected value sets the key only where it does not exist yet.
  return store.compareSet(kFailureKey, {}, mine) == mine;
}

RankWatch::RankWatch(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size,
                     Settings settings,
                     std::function<void(const RankFailure&, c10d::Store&)> on_failure)
    : store_(std::move(store)),
      rank_(rank),
      world_(world_size),
      settings_(settings),
      on_failure_(std::move(on_failure)),
      seen_(world_size) {
  thread_ = std::thread([this] { loop(); });
}

RankWatch::~RankWatch() {
  stop();
}

void RankWatch::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<RankFailure> RankWatch::check() {
  const auto now = std::chrono::steady_clock::now();
  try {
    store_->add(beat_key(rank_), 1);
    if (auto f = claimed_failure(*store_)) return f;
    for (int r = 0; r < world_; ++r) {
      if (r == rank_) continue;
      const int64_t value = store_->add(beat_key(r), 0);  // reads without blocking
      if (value != seen_[r].value || seen_[r].value == 0) {
        seen_[r] = Seen{value, now};
      } else if (now - seen_[r].since > settings_.stale_after) {
        return RankFailure{r, 1,
                           "rank " + std::to_string(r) + " stopped responding for " +
                               std::to_string(settings_.stale_after.count() / 1000) +
                               " s (killed, or its machine is gone)"};
      }
    }
  } catch (const std::exception&) {
    if (finishing_) return std::nullopt;
    return RankFailure{-1, 1,
                       "lost the connection to the run's store (its host, rank 0 or the "
                       "launcher, has gone)"};
  }
  return std::nullopt;
}

void RankWatch::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    std::optional<RankFailure> failure = check();
    lock.lock();
    if (stop_) break;
    if (failure) {
      lock.unlock();
      on_failure_(*failure, *store_);
      return;
    }
    wake_.wait_for(lock, settings_.interval);
  }
}

}  // namespace ssa
