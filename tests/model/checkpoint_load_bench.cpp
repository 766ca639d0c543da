// Checkpoint loading benchmark: time and peak host memory of load_checkpoint
// on a random checkpoint of a real model's shape, against the target "loading
// N bytes of weights peaks below N + 1 GB of host memory".
//
//   bench_checkpoint_load [--shape 1b|7b|auto] [--device cpu|cuda|auto]
//                         [--dtype bf16|fp32] [--dir TMP] [--no-cold]
//
// 1b: Llama-3.2-1B's config (llama3 RoPE, tied head), bf16, one
// model.safetensors (2.47 GB). 7b: Qwen2-7B-Instruct's config, bf16, in 4
// shards with model.safetensors.index.json (15.2 GB). auto (the default):
// 7b when a CUDA device is present, else 1b; the device likewise (with CUDA
// the CPU load runs too). The checkpoint is written tensor by tensor into a
// fresh directory under --dir (default $TMPDIR or /tmp), evicted from the
// page cache (a cold load reads the disk), loaded, and removed.
//
// Each load is measured in this process after resetting the peak RSS
// (writing 5 to /proc/self/clear_refs), so VmHWM is the load's own peak
// (libraries already loaded count: that is the "baseline"). Arguments of
// Google Benchmark (--benchmark_*) are accepted and ignored, so
// scripts/gpu-check.sh can run it like the other bench_* programs.
#include <ATen/ATen.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/checkpoint.h"

namespace {

namespace fs = std::filesystem;

constexpr double kGB = 1e9;

// Llama-3.2-1B's config.json (meta-llama/Llama-3.2-1B).
ssa::ModelConfig llama_1b() {
  ssa::ModelConfig c;
  c.model_type = "llama";
  c.vocab_size = 128256, c.hidden_size = 2048, c.intermediate_size = 8192;
  c.num_hidden_layers = 16, c.num_attention_heads = 32, c.num_key_value_heads = 8, c.head_dim = 64;
  c.rope_theta = 500000.0, c.rms_norm_eps = 1e-5, c.max_position_embeddings = 131072;
  c.rope_scaling.type = ssa::RopeType::kLlama3;
  c.rope_scaling.factor = 32.0, c.rope_scaling.low_freq_factor = 1.0;
  c.rope_scaling.high_freq_factor = 4.0, c.rope_scaling.original_max_position_embeddings = 8192;
  c.tie_word_embeddings = true;
  c.bos_token_id = 128000, c.eos_token_id = 128001, c.eos_token_ids = {128001};
  return c;
}

// Qwen2-7B-Instruct's config.json.
ssa::ModelConfig qwen2_7b() {
  ssa::ModelConfig c;
  c.model_type = "qwen2", c.qkv_bias = true;
  c.vocab_size = 152064, c.hidden_size = 3584, c.intermediate_size = 18944;
  c.num_hidden_layers = 28, c.num_attention_heads = 28, c.num_key_value_heads = 4, c.head_dim = 128;
  c.rope_theta = 1000000.0, c.rms_norm_eps = 1e-6, c.max_position_embeddings = 32768;
  c.bos_token_id = 151643, c.eos_token_id = 151645, c.eos_token_ids = {151645};
  return c;
}

struct Memory {
  double rss = 0, hwm = 0;  // bytes
};

Memory memory() {
  std::ifstream in("/proc/self/status");
  Memory m;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss = std::atof(line.c_str() + 6) * 1024;
    if (line.rfind("VmHWM:", 0) == 0) m.hwm = std::atof(line.c_str() + 6) * 1024;
  }
  return m;
}

bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.close();
  const Memory m = memory();
  return out.good() && m.hwm <= m.rss * 1.01 + (1 << 20);
}

// Drops the files from the page cache, so that the next load reads the disk.
void evict(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const int fd = ::open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Random-looking weights at memory speed: slices of one 256 MB random pool.
class RandomWeights {
 public:
  RandomWeights() : pool_(at::randn({int64_t(128) << 20}).mul_(0.02).to(at::kBFloat16)) {}
  at::Tensor operator()(const std::string& name, const std::vector<int64_t>& shape) {
    if (name.find("norm.weight") != std::string::npos)
      return at::ones(shape, at::TensorOptions().dtype(at::kBFloat16));
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    at::Tensor out = at::empty({numel}, at::TensorOptions().dtype(at::kBFloat16));
    for (int64_t done = 0; done < numel;) {
      offset_ = (offset_ + 7919) % pool_.numel();
      const int64_t n = std::min(numel - done, pool_.numel() - offset_);
      out.narrow(0, done, n).copy_(pool_.narrow(0, offset_, n));
      done += n;
    }
    return out.view(shape);
  }

 private:
  at::Tensor pool_;
  int64_t offset_ = 0;
};

void load_once(const fs::path& dir, c10::Device device, at::ScalarType dtype, bool check,
               const char* cache) {
  ssa::LoadOptions options;
  options.device = device;
  options.dtype = dtype;
  options.check_finite = check;
  const bool reset = reset_peak();
  const Memory before = memory();
  const auto start = std::chrono::steady_clock::now();
  ssa::CheckpointInfo info;
  {
    ssa::DecoderModel model = ssa::load_checkpoint(dir.string(), options, &info);
    // Copies from pageable memory are synchronous; this waits for any conversion.
    if (device.is_cuda()) (void)model.weights().at("model.norm.weight").sum().item<float>();
  }
  const double seconds = seconds_since(start);
  const Memory after = memory();
  const double n = static_cast<double>(info.weight_bytes);
  std::printf(
      "  load %-4s %-4s %s%s: %6.2f s (%.2f GB/s of file); weights N = %.2f GB; peak RSS "
      "(VmHWM) %.2f GB = N %+.2f GB, %.2f GB above the %.2f GB baseline; target N + 1 GB = "
      "%.2f GB: %s\n",
      device.is_cpu() ? "cpu" : "cuda", dtype == at::kFloat ? "fp32" : "bf16", cache,
      check ? ", NaN check" : ", no NaN check", seconds, info.file_bytes / kGB / seconds, n / kGB,
      after.hwm / kGB, (after.hwm - n) / kGB, (after.hwm - before.rss) / kGB, before.rss / kGB,
      (n + kGB) / kGB, after.hwm < n + kGB ? "below" : "ABOVE");
  if (!reset) std::printf("    (peak RSS could not be reset: VmHWM includes earlier work)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string shape = "auto", device_name = "auto", dtype_name = "bf16";
  std::string base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  bool cold = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_checkpoint_load: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--shape")
      shape = value();
    else if (arg == "--device")
      device_name = value();
    else if (arg == "--dtype")
      dtype_name = value();
    else if (arg == "--dir")
      base = value();
    else if (arg == "--no-cold")
      cold = false;
    else if (arg.rfind("--benchmark_", 0) == 0)
      continue;  // gpu-check.sh passes these
    else {
      std::fprintf(stderr,
                   "bench_checkpoint_load: unknown argument %s (expected --shape 1b|7b|auto, "
                   "--device cpu|cuda|auto, --dtype bf16|fp32, --dir DIR, --no-cold)\n",
                   arg.c_str());
      return 2;
    }
  }
  const bool cuda = at::hasCUDA();
  if (shape == "auto") shape = cuda ? "7b" : "1b";
  if (shape != "1b" && shape != "7b") {
    std::fprintf(stderr, "bench_checkpoint_load: --shape must be 1b, 7b or auto\n");
    return 2;
  }
  if (dtype_name != "bf16" && dtype_name != "fp32") {
    std::fprintf(stderr, "bench_checkpoint_load: --dtype must be bf16 or fp32\n");
    return 2;
  }
  std::vector<c10::Device> devices;
  if (device_name == "cpu" || device_name == "auto") devices.push_back(c10::kCPU);
  if (device_name == "cuda" || (device_name == "auto" && cuda)) {
    if (!cuda) {
      std::fprintf(stderr, "bench_checkpoint_load: --device cuda: no CUDA device\n");
      return 2;
    }
    at::zeros({1}, at::TensorOptions().device(c10::kCUDA));  // CUDA context: part of the baseline
    devices.push_back(c10::Device(c10::kCUDA, 0));
  }
  if (devices.empty()) {
    std::fprintf(stderr, "bench_checkpoint_load: --device must be cpu, cuda or auto\n");
    return 2;
  }
  const at::ScalarType dtype = dtype_name == "fp32" ? at::kFloat : at::kBFloat16;
  const ssa::ModelConfig config = shape == "1b" ? llama_1b() : qwen2_7b();
  const int shards = shape == "1b" ? 1 : 4;

  std::string pattern = (fs::path(base) / "ssa-load-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    std::fprintf(stderr, "bench_checkpoint_load: cannot create a directory under %s\n",
                 base.c_str());
    return 2;
  }
  const fs::path dir = pattern;
  std::printf(
      "checkpoint load benchmark: %s shape (%s, %s RoPE, %s head), stored bf16 in %d "
      "file%s, in %s\n",
      shape == "1b" ? "Llama-3.2-1B" : "Qwen2-7B-Instruct", config.architecture().c_str(),
      ssa::rope_type_name(config.rope_scaling.type), config.tie_word_embeddings ? "tied" : "untied",
      shards, shards > 1 ? "s" : "", dir.c_str());
  {
    const auto start = std::chrono::steady_clock::now();
    RandomWeights weights;
    ssa::write_checkpoint(config, dir.string(), at::kBFloat16, shards, std::ref(weights));
    uint64_t bytes = 0;
    for (const auto& entry : fs::directory_iterator(dir)) bytes += entry.file_size();
    std::printf("  wrote %.2f GB in %.1f s\n", bytes / kGB, seconds_since(start));
  }
  for (const c10::Device device : devices) {
    if (cold) {
      evict(dir);
      load_once(dir, device, dtype, true, "cold");
    }
    load_once(dir, device, dtype, true, "warm");
    load_once(dir, device, dtype, false, "warm");
  }
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove(entry.path());
  fs::remove(dir);
  return 0;
}
