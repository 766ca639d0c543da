// AsyncSlot: computes a value for the most recently requested key on a
// worker thread, so that loading and aggregation never run on the frame path.
//
// Several slots share one SlotThread (and so one Reader per recording): the
// thread serves the slots in the order they were created (the first has the
// highest priority), one computation at a time.
//
// The GUI asks every frame with get(key): it never blocks and returns the
// newest finished value (possibly for an older key, so views keep showing
// something while the next step loads). Requests overtaken before they
// started are skipped; a running one sees through Progress::cancelled() that
// it was overtaken and may publish partial results (progressive aggregation).
// wait_idle() is for screenshots, tests and benchmarks, which must capture a
// settled state.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ssa::gui {

class SlotThread;

// What the thread sees of a slot (AsyncSlot below); guarded by the thread's mutex.
class SlotBase {
 public:
  virtual ~SlotBase() = default;

 protected:
  friend class SlotThread;
  explicit SlotBase(SlotThread& thread);
  virtual bool pending() const = 0;  // a request not yet computed
  // Computes the pending request; called with the lock held, unlocks around the work.
  virtual void run_pending(std::unique_lock<std::mutex>& lock) = 0;
  SlotThread& thread_;
};

class SlotThread {
 public:
  SlotThread() = default;
  ~SlotThread() { stop(); }
  SlotThread(const SlotThread&) = delete;
  SlotThread& operator=(const SlotThread&) = delete;

  // Starts the thread once every slot exists.
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  // Stops and joins; slots must not be used afterwards.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Blocks until no slot has a pending request.
  void wait_idle() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [&] { return stopping_ || (!busy_ && !any_pending()); });
  }

 private:
  friend class SlotBase;
  template <class K, class V>
  friend class AsyncSlot;

  bool any_pending() const {
    for (const SlotBase* s : slots_)
      if (s->pending()) return true;
    return false;
  }
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || any_pending(); });
      if (stopping_) return;
      for (SlotBase* s : slots_) {
        if (!s->pending()) continue;
        busy_ = true;
        s->run_pending(lock);
        busy_ = false;
        break;  // back to the top: a higher-priority slot may have a request now
      }
      idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::vector<SlotBase*> slots_;
  bool stopping_ = false;
  bool busy_ = false;
  std::thread thread_;
};

inline SlotBase::SlotBase(SlotThread& thread) : thread_(thread) {
  thread.slots_.push_back(this);
}

template <class Key, class Value>
class AsyncSlot : public SlotBase {
 public:
  class Progress {
   public:
    bool cancelled() const {
      std::lock_guard<std::mutex> lock(slot_.thread_.mutex_);
      return slot_.thread_.stopping_ || !(slot_.requested_ && *slot_.requested_ == key_);
    }
    void publish(std::shared_ptr<const Value> partial) {
      std::lock_guard<std::mutex> lock(slot_.thread_.mutex_);
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

  AsyncSlot(SlotThread& thread, Compute compute) : SlotBase(thread), compute_(std::move(compute)) {}
  AsyncSlot(const AsyncSlot&) = delete;
  AsyncSlot& operator=(const AsyncSlot&) = delete;

  // Requests `key` (if it is not the current request) and returns the newest
  // value; *exact says whether it is the finished value for `key`.
  std::shared_ptr<const Value> get(const Key& key, bool* exact = nullptr) {
    std::unique_lock<std::mutex> lock(thread_.mutex_);
    if (!requested_ || !(*requested_ == key)) {
      requested_ = key;
      lock.unlock();
      thread_.wake_.notify_all();
      lock.lock();
    }
    if (exact) *exact = value_key_ && *value_key_ == key && value_final_;
    return value_;
  }
  // The message of the latest failed computation ("" when none).
  std::string error() const {
    std::lock_guard<std::mutex> lock(thread_.mutex_);
    return error_;
  }
  // Forgets the value and the request (a recording closed: nothing may keep its data).
  void clear() {
    std::lock_guard<std::mutex> lock(thread_.mutex_);
    requested_.reset();
    done_key_.reset();
    value_key_.reset();
    value_.reset();
    error_.clear();
  }

 private:
  bool pending() const override { return requested_ && !(done_key_ && *done_key_ == *requested_); }
  void run_pending(std::unique_lock<std::mutex>& lock) override {
    const Key key = *requested_;
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
    const bool overtaken = !(requested_ && *requested_ == key);
    // A finished value for an old key still beats showing nothing.
    if (result) {
      value_ = std::move(result);
      value_key_ = key;
      value_final_ = !overtaken;
    }
    if (!overtaken) {
      done_key_ = key;
      error_ = error;
    }
  }

  Compute compute_;
  std::optional<Key> requested_, done_key_, value_key_;
  std::shared_ptr<const Value> value_;
  bool value_final_ = false;
  std::string error_;
};

}  // namespace ssa::gui
