// AsyncSlot: computes a value for the most recently requested key on a worker
// thread, so that loading and aggregation never run on the frame path.
//
// The GUI asks every frame with get(key): it never blocks and returns the
// newest finished value (possibly for an older key, so views keep showing
// something while the next step loads). Requests that were overtaken before
// they started are skipped; a running one can see that it was overtaken
// through Progress::cancelled() and may publish partial results (progressive
// aggregation). wait_idle() is for screenshots and tests, which must capture
// a settled state.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace ssa::gui {

template <class Key, class Value>
class AsyncSlot {
 public:
  class Progress {
   public:
    bool cancelled() const {
      std::lock_guard<std::mutex> lock(slot_.mutex_);
      return slot_.stopping_ || (slot_.requested_ && !(*slot_.requested_ == key_));
    }
    void publish(std::shared_ptr<const Value> partial) {
      std::lock_guard<std::mutex> lock(slot_.mutex_);
      slot_.value_ = std::move(partial);
      slot_.value_key_ = key_;
      slot_.value_final_ = false;
    }

   private:
    friend class AsyncSlot;
    Progress(AsyncSlot& slot, const Key& key) : slot_(slot), key_(key) {}
    AsyncSlot& slot_;
    Key key_;
  };
  using Compute = std::function<std::shared_ptr<const Value>(const Key&, Progress&)>;

  explicit AsyncSlot(Compute compute) : compute_(std::move(compute)) {
    worker_ = std::thread([this] { run(); });
  }
  ~AsyncSlot() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }
  AsyncSlot(const AsyncSlot&) = delete;
  AsyncSlot& operator=(const AsyncSlot&) = delete;

  // Requests `key` (if it is not the current request) and returns the newest
  // value; *exact says whether it is the finished value for `key`.
  std::shared_ptr<const Value> get(const Key& key, bool* exact = nullptr) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!requested_ || !(*requested_ == key)) {
      requested_ = key;
      lock.unlock();
      wake_.notify_all();
      lock.lock();
    }
    if (exact) *exact = value_key_ && *value_key_ == key && value_final_;
    return value_;
  }
  // Blocks until the latest request has finished (or failed).
  void wait_idle() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock,
               [&] { return !busy_ && (!requested_ || (done_key_ && *done_key_ == *requested_)); });
  }
  // The message of the latest failed computation ("" when none).
  std::string error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] {
        return stopping_ || (requested_ && !(done_key_ && *done_key_ == *requested_));
      });
      if (stopping_) return;
      const Key key = *requested_;
      busy_ = true;
      lock.unlock();
      std::shared_ptr<const Value> result;
      std::string error;
      Progress progress(*this, key);
      try {
        result = compute_(key, progress);
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      busy_ = false;
      const bool overtaken = !(*requested_ == key);
      if (!overtaken || result) {
        // A finished value for an old key still beats showing nothing.
        if (result) {
          value_ = std::move(result);
          value_key_ = key;
          value_final_ = !overtaken;
        }
      }
      if (!overtaken) {
        done_key_ = key;
        error_ = error;
      }
      idle_.notify_all();
    }
  }

  Compute compute_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::optional<Key> requested_, done_key_, value_key_;
  std::shared_ptr<const Value> value_;
  bool value_final_ = false;
  bool busy_ = false;
  bool stopping_ = false;
  std::string error_;
  std::thread worker_;
};

}  // namespace ssa::gui
