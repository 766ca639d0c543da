// Bucketed, overlapped gradient all-reduce (see gradient_buckets.h).
#include "engine/train/distributed/gradient_buckets.h"

#include "engine/train/distributed/collective.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <stdexcept>

namespace ssa {
namespace {

// Calls back into the buckets once a parameter's .grad holds this backward's sum.
struct GradientReady : torch::autograd::PostAccumulateGradHook {
  explicit GradientReady(std::function<void()> fn) : fn(std::move(fn)) {}
  void operator()(const torch::autograd::Variable&) override { fn(); }
  std::function<void()> fn;
};

// "layers.10" after "layers.9": digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      const unsigned long long x = std::stoull(a.substr(i, ie - i));
      const unsigned long long y = std::stoull(b.substr(j, je - j));
      if (x != y) return x < y;
      i = ie, j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

std::vector<std::string> GradientBuckets::backward_order(std::vector<std::string> names) {
  std::sort(names.begin(), names.end(), natural_less);
  std::reverse(names.begin(), names.end());
  // The output head (Hugging Face's lm_head, outside "model.") runs last in
  // the forward, so its gradient is the first to be ready.
  std::stable_partition(names.begin(), names.end(),
                        [](const std::string& n) { return n.rfind("lm_head", 0) == 0; });
  return names;
}

GradientBuckets::GradientBuckets(c10::intrusive_ptr<c10d::Backend> group,
                                 const std::vector<std::pair<std::string, at::Tensor>>& params,
                                 int64_t bucket_bytes, int64_t first_bucket_bytes)
    : group_(std::move(group)) {
  std::vector<std::string> names;
  for (const auto& [name, t] : params) names.push_back(name);
  names = backward_order(names);
  auto tensor_of = [&](const std::string& name) {
    for (const auto& [n, t] : params)
      if (n == name) return t;
    throw std::logic_error("GradientBuckets: no parameter " + name);
  };
  int64_t bytes = 0;
  for (const std::string& name : names) {
    const at::Tensor t = tensor_of(name);
    assert(t.requires_grad() && t.is_leaf());
    assert(t.scalar_type() == params.front().second.scalar_type());
    assert(t.device() == params.front().second.device());
    if (buckets_.empty() || bytes >= (buckets_.size() == 1 ? first_bucket_bytes : bucket_bytes)) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    Slot slot{name, t, static_cast<int64_t>(buckets_.size()) - 1, 0, false};
    slot.offset =
        b.slots.empty() ? 0 : slots_[b.slots.back()].offset + slots_[b.slots.back()].param.numel();
    b.slots.push_back(static_cast<int64_t>(slots_.size()));
    slots_.push_back(slot);
    bytes += t.numel() * static_cast<int64_t>(t.element_size());
  }
  for (Bucket& b : buckets_) {
    const Slot& last = slots_[b.slots.back()];
    b.flat =
        at::zeros({last.offset + last.param.numel()}, last.param.options().requires_grad(false));
    b.pending = static_cast<int64_t>(b.slots.size());
  }
  for (size_t i = 0; i < slots_.size(); ++i)
    torch::autograd::impl::set_post_acc_grad_hooks(
        slots_[i].param,
        std::make_unique<GradientReady>([this, i] { on_gradient(static_cast<int64_t>(i)); }));
}

GradientBuckets::~GradientBuckets() {
  for (Slot& s : slots_) torch::autograd::impl::set_post_acc_grad_hooks(s.param, nullptr);
}

void GradientBuckets::sync_next_backward(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_ = on;
}

std::vector<std::vector<std::string>> GradientBuckets::layout() const {
  std::vector<std::vector<std::string>> out;
  for (const Bucket& b : buckets_) {
    std::vector<std::string>& names = out.emplace_back();
    for (int64_t s : b.slots) names.push_back(slots_[s].name);
  }
  return out;
}

void GradientBuckets::on_gradient(int64_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_) return;  // an earlier micro-batch: .grad accumulates locally
  Slot& slot = slots_[index];
  if (slot.ready) return;
  Bucket& bucket = buckets_[slot.bucket];
  at::NoGradGuard no_grad;
  bucket.flat.narrow(0, slot.offset, slot.param.numel()).copy_(slot.param.grad().reshape({-1}));
  slot.ready = true;
  if (--bucket.pending == 0) launch_ready();
}

void GradientBuckets::launch_ready() {
  while (next_launch_ < num_buckets() && buckets_[next_launch_].pending == 0)
    launch(buckets_[next_launch_++]);
}

void GradientBuckets::launch(Bucket& bucket) {
  std::vector<at::Tensor> tensors{bucket.flat};
  run_collective([&] {  // launched only: finish() waits
    bucket.work = group_->allreduce(tensors);
    return c10::intrusive_ptr<c10d::Work>();
  });
}

void GradientBuckets::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  at::NoGradGuard no_grad;
  // What backward did not deliver: a parameter this step did not reach in its
  // last micro-batch (its earlier gradient, or zeros).
  for (int64_t b = next_launch_; b < num_buckets(); ++b) {
    Bucket& bucket = buckets_[b];
    for (int64_t s : bucket.slots) {
      Slot& slot = slots_[s];
      if (slot.ready) continue;
      at::Tensor region = bucket.flat.narrow(0, slot.offset, slot.param.numel());
      if (slot.param.grad().defined())
        region.copy_(slot.param.grad().reshape({-1}));
      else
        region.zero_();
      slot.ready = true;
    }
    bucket.pending = 0;
  }
  launch_ready();
  const double world = group_->getSize();
  for (Bucket& bucket : buckets_) {
    run_collective([&] { return std::move(bucket.work); });
    bucket.flat.div_(world);
    for (int64_t s : bucket.slots) {
      Slot& slot = slots_[s];
      const at::Tensor mean =
          bucket.flat.narrow(0, slot.offset, slot.param.numel()).view(slot.param.sizes());
      if (slot.param.grad().defined())
        slot.param.mutable_grad().copy_(mean);
      else
        slot.param.mutable_grad() = mean.clone();
      slot.ready = false;
    }
    bucket.pending = static_cast<int64_t>(bucket.slots.size());
  }
  next_launch_ = 0;
}

}  // namespace ssa
