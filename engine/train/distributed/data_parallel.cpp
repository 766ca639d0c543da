// Process group setup and the few collectives the trainer needs.
#include "engine/train/distributed/data_parallel.h"

#include "engine/train/distributed/collective.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>

// Gloo's headers (Debian's libgloo-dev) and nccl.h (the nvidia-nccl wheel)
// are build-time options: without them that backend compiles out.
#if defined(USE_C10D_GLOO) && __has_include(<gloo/context.h>)
#define SSA_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#else
#define SSA_HAVE_GLOO 0
#endif
#if defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#define SSA_HAVE_NCCL 1
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#else
#define SSA_HAVE_NCCL 0
#endif

namespace ssa {
namespace {

[[maybe_unused]] bool loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

c10::intrusive_ptr<c10d::Store> connect_store(const DistSettings& s, bool host) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(s.master_port);
  o.isServer = host;
  o.numWorkers = std::nullopt;
  o.waitWorkers = false;
  o.timeout = s.timeout;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(s.master_addr, o);
  return c10::make_intrusive<c10d::PrefixStore>("ssa/" + s.key_prefix, tcp);
}

c10::intrusive_ptr<c10d::Backend> make_group([[maybe_unused]] const DistSettings& s,
                                             c10::Device device,
                                             const c10::intrusive_ptr<c10d::Store>& store) {
  auto pg_store = c10::make_intrusive<c10d::PrefixStore>("pg", store);
  if (device.is_cuda()) {
#if SSA_HAVE_NCCL
    // NVLink multicast (NVLS) off unless the user chose: it needs driver
    // support that shared machines often lack, and plain rings suffice here.
    ::setenv("NCCL_NVLS_ENABLE", "0", /*overwrite=*/0);
    c10::cuda::set_device(device.index());
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = s.timeout;
    auto group =
        c10::make_intrusive<c10d::ProcessGroupNCCL>(pg_store, s.rank, s.world_size, options);
    group->setBoundDeviceId(device);
    group->eagerConnectSingleDevice(device);
    return group;
#else
    throw std::runtime_error("this build has no NCCL (a CUDA LibTorch and nccl.h at build time)");
#endif
  }
#if SSA_HAVE_GLOO
  auto options = c10d::ProcessGroupGloo::Options::create(s.timeout);
  const char* iface = std::getenv("GLOO_SOCKET_IFNAME");
  if (iface && *iface)
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
  else if (loopback(s.master_addr))
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(pg_store, s.rank, s.world_size, options);
#else
  throw std::runtime_error("this build has no Gloo (install libgloo-dev and rebuild)");
#endif
}

}  // namespace

bool have_nccl() {
  return SSA_HAVE_NCCL;
}
bool have_gloo() {
  return SSA_HAVE_GLOO;
}

DataParallel::DataParallel(const DistSettings& settings, const std::string& device_name,
                           OnFailure on_failure)
    : settings_(settings) {
  if (device_name == "cuda") {
    if (!torch::cuda::is_available())
      throw std::runtime_error("--device cuda: no CUDA device is available to this LibTorch");
    if (settings.local_rank >= static_cast<int>(torch::cuda::device_count()))
      throw std::runtime_error("local rank " + std::to_string(settings.local_rank) +
                               ": this machine has only " +
                               std::to_string(torch::cuda::device_count()) + " CUDA devices");
    device_ = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(settings.local_rank));
  }
  store_ = connect_store(settings_, !settings_.store_elsewhere && settings_.rank == 0);
  if (on_failure) {
    // A connection of its own: the watcher never queues behind the main
    // thread's use of the store (a rendezvous waits there).
    watch_ = std::make_unique<RankWatch>(connect_store(settings_, false), settings_.rank,
                                         settings_.world_size, RankWatch::Settings{},
                                         std::move(on_failure));
  }
  group_ = make_group(settings_, device_, store_);
}

DataParallel::~DataParallel() {
  watch_.reset();
  buckets_.reset();
  if (group_) group_->shutdown();
}

std::string DataParallel::backend_name() const {
  return group_->getBackendName();
}

at::Tensor DataParallel::on_device(const at::Tensor& t) const {
  return t.to(device_);
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  std::vector<at::Tensor> t{on_device(at::tensor(values, at::kDouble))};
  run_collective([&] { return group_->allreduce(t); });
  const at::Tensor cpu = t[0].cpu();
  return std::vector<double>(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel());
}

int DataParallel::max(int value) {
  std::vector<at::Tensor> t{on_device(at::tensor({static_cast<int64_t>(value)}, at::kLong))};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  run_collective([&] { return group_->allreduce(t, o); });
  return static_cast<int>(t[0].item<int64_t>());
}

int64_t DataParallel::broadcast(int64_t value) {
  std::vector<at::Tensor> t{on_device(at::tensor({value}, at::kLong))};
  run_collective([&] { return group_->broadcast(t); });
  return t[0].item<int64_t>();
}

std::string DataParallel::broadcast(const std::string& text) {
  const int64_t size = broadcast(static_cast<int64_t>(text.size()));
  at::Tensor bytes = at::empty({size}, at::kByte);
  if (leader()) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  std::vector<at::Tensor> t{on_device(bytes)};
  run_collective([&] { return group_->broadcast(t); });
  const at::Tensor cpu = t[0].cpu();
  return std::string(reinterpret_cast<const char*>(cpu.data_ptr()), size);
}

void DataParallel::broadcast(const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  for (const at::Tensor& tensor : tensors) {
    if (tensor.device() != device_)
      throw std::logic_error("DataParallel::broadcast: a tensor on " + tensor.device().str());
    std::vector<at::Tensor> t{tensor};
    run_collective([&] { return group_->broadcast(t); });
  }
}

void DataParallel::barrier() {
  run_collective([&] { return group_->barrier(); });
}

void DataParallel::attach(const std::vector<std::pair<std::string, at::Tensor>>& params,
                          int64_t bucket_bytes, int64_t first_bucket_bytes) {
  buckets_ = std::make_unique<GradientBuckets>(group_, params, bucket_bytes, first_bucket_bytes);
}

void DataParallel::finish() {
  if (watch_) watch_->finishing();
  barrier();
  if (watch_) watch_->stop();
}

}  // namespace ssa
