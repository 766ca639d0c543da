// GradientBuckets: the data-parallel gradient all-reduce, overlapped with
// backward.
//
// The trainable parameters are grouped into buckets (about 25 MB, the first
// one 1 MB, as PyTorch's DDP does) in the order backward produces their
// gradients. A post-accumulate-grad hook on each parameter copies its
// gradient into its bucket's flat buffer; once a bucket is full it is
// all-reduced asynchronously while backward goes on. Buckets are launched
// strictly in index order, so that every rank issues the same collectives in
// the same order even when a parameter gets no gradient on some rank (those
// count as zeros). finish() waits for them all and writes the averaged
// gradients back into each parameter's .grad.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ssa {

class GradientBuckets {
 public:
  // `params`: (name, tensor) of the parameters to synchronise, each a leaf
  // that requires grad, all of one dtype and device.
  GradientBuckets(c10::intrusive_ptr<c10d::Backend> group,
                  const std::vector<std::pair<std::string, at::Tensor>>& params,
                  int64_t bucket_bytes = 25 << 20, int64_t first_bucket_bytes = 1 << 20);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Whether the next backward is the step's last (its gradients are reduced);
  // earlier micro-batches only accumulate locally.
  void sync_next_backward(bool on);
  // Waits for every bucket, launching those backward did not fill, divides
  // by the world size and writes the result into the parameters' .grad.
  void finish();

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }
  // Parameter names per bucket, in launch order (tests, logs).
  std::vector<std::vector<std::string>> layout() const;

  // The order buckets are filled in: backward produces gradients from the
  // output head back to the embedding, so names are sorted by where they sit
  // in the forward (layer numbers read as numbers) and reversed.
  static std::vector<std::string> backward_order(std::vector<std::string> names);

 private:
  struct Slot {
    std::string name;
    at::Tensor param;
    int64_t bucket = 0, offset = 0;
    bool ready = false;
  };
  struct Bucket {
    at::Tensor flat;
    std::vector<int64_t> slots;
    int64_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  void on_gradient(int64_t slot);  // from the autograd engine's thread
  void launch_ready();             // under mutex_
  void launch(Bucket& bucket);

  c10::intrusive_ptr<c10d::Backend> group_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  int64_t next_launch_ = 0;
  bool sync_ = true;
  std::mutex mutex_;
};

}  // namespace ssa
