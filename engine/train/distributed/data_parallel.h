// DataParallel: one rank of a data-parallel training run over PyTorch's c10d.
//
// Every rank holds the whole model and trains on its share of each step's
// examples (step_shard.h); gradients are averaged across ranks during
// backward (gradient_buckets.h), so that each optimizer step sees the
// gradient one process would compute on the whole step. Rank 0 owns the run
// folder (checkpoints, log, recording); the others start from its state
// (replicate.h). Backends: NCCL on cuda:<local rank> (NVLink multicast off:
// NCCL_NVLS_ENABLE=0 unless the environment says otherwise), Gloo on the CPU.
// Rendezvous through a TCPStore at master_addr:master_port, hosted by rank 0
// or by a launcher (`train --nproc`, torchrun's agent).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/train/distributed/gradient_buckets.h"
#include "engine/train/distributed/rank_watch.h"

namespace ssa {

struct DistSettings {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // the GPU of this rank on its machine
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool store_elsewhere = false;  // a launcher hosts the store, not rank 0
  std::string key_prefix;        // keys of this run in a shared store (torchrun restarts)
  // Rendezvous and every collective: a bound on any wait. Failures are
  // noticed much sooner through RankWatch.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

// Whether this build has the backend (NCCL needs a CUDA LibTorch with nccl.h
// at build time, Gloo its headers).
bool have_nccl();
bool have_gloo();

class DataParallel {
 public:
  using OnFailure = std::function<void(const RankFailure&, c10d::Store&)>;
  // Joins the run: throws std::runtime_error when the backend is missing or
  // the rendezvous fails (the message says which). With `on_failure`, the
  // other ranks are watched from before the rendezvous on (rank_watch.h).
  DataParallel(const DistSettings& settings, const std::string& device_name,
               OnFailure on_failure = {});
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return settings_.rank; }
  int world_size() const { return settings_.world_size; }
  bool leader() const { return settings_.rank == 0; }
  c10::Device device() const { return device_; }
  std::string backend_name() const;
  // The run's store (its keys prefixed with this run's).
  c10d::Store& store() { return *store_; }

  // Collectives; every rank calls them in the same order.
  std::vector<double> sum(const std::vector<double>& values);
  int max(int value);
  int64_t broadcast(int64_t value);  // rank 0's value
  std::string broadcast(const std::string& text);
  void broadcast(const std::vector<at::Tensor>& tensors);  // in place, from rank 0
  void barrier();

  // Gradient synchronisation for these (name, parameter) pairs.
  void attach(const std::vector<std::pair<std::string, at::Tensor>>& params,
              int64_t bucket_bytes = 25 << 20, int64_t first_bucket_bytes = 1 << 20);
  GradientBuckets& gradients() { return *buckets_; }

  // The run ended normally on this rank: waits for the others (so that
  // rank 0's store outlives every watcher), then stops watching.
  void finish();

 private:
  at::Tensor on_device(const at::Tensor& t) const;

  DistSettings settings_;
  c10::Device device_{c10::kCPU};
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> group_;
  std::unique_ptr<GradientBuckets> buckets_;
  std::unique_ptr<RankWatch> watch_;
};

}  // namespace ssa
