// `bench kernels` and `bench decode-model`: the GPU decode path against dense
// attention, measured in one run on the GPU (random bf16 KV, no file needed).
//
// kernels       one layer of the Qwen2-7B shape (28 query heads, 4 KV heads,
//               d 128): LibTorch's dense SDPA (GQA), the split-KV kernel over
//               all keys, and the device SSA / H-SSA decode (selection and
//               sparse attention), side by side with the ratios, the keys
//               scored and read, the bytes they touch and the fraction of the
//               copy bandwidth measured in the same run. Each timing replays a
//               CUDA graph of many iterations over rotating inputs larger than
//               the L2 (60 MB), median of the replays.
// decode-model  ms per token of a Qwen2-7B-shaped model with random bf16
//               weights made on the device, SSA against dense (SDPA and the
//               split-KV kernel), recording off and on.
//
// Figures are of the machine it runs on; kernels/NOTES.md keeps the results.
#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#if defined(SSA_WITH_CUDA)
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime.h>
#include <torch/cuda.h>

#include "engine/decode/device_attention.h"
#include "engine/decode/device_decoder.h"
#include "engine/decode/device_plan.h"
#include "engine/decode/projection_packing.h"
#include "kernels/cuda_check.h"
#include "kernels/phase_clock.h"
#endif

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "engine/decode/selective_attention.h"
#include "engine/layout/gist_layout.h"

namespace ssa::cli {
namespace {

struct KernelBenchOptions {
  std::vector<int64_t> contexts = {8192, 32768, 131072};
  std::vector<int64_t> batches = {1, 8, 32};
  std::vector<std::string> hierarchies = {"chunk16", "chunk4-chunk4"};
  std::vector<int> ks = {8, 16, 32};
  std::vector<std::string> modes = {"head", "group"};
  int version = 2;
  int replays = 9;
  int keys_per_split = 0;  // 0: the engine's rule (auto_keys_per_split)
  bool overlap = false;    // programmatic dependent launches between a layer's kernels
  bool tables = true;      // the split and overlap sweep, the H-SSA log N table
  bool phases = false;     // after each SSA row, its per-phase device timestamps
  bool radix = false;      // the selection's radix-walk top-k (as SSA_SELECT_TOPK=radix)
  // The selection's top-k per SSA row, each row once per entry (old vs new in
  // one run): auto (the default: the engine's choice, which is now two-pass
  // wherever it applies), two-pass (no slice top-k, the same), pivot (the slices' pivot
  // top-k and the merge, SSA_SELECT_TOPK=slices), rounds
  // (SSA_SELECT_TOPK=rounds), radix.
  std::vector<std::string> top_ks = {"auto"};
};

struct ModelBenchOptions {
  std::vector<int64_t> contexts = {32768, 131072};
  std::vector<int64_t> batches = {1, 8};
  int k = 16;
  int dense_layers = 1;
  int steps = 10;
  int version = 2;
  bool overlap = false;
  bool compare_ops = false;   // each row with the fused step ops and with the op chains
  bool compare_gemm = false;  // each row with the small-batch GEMMs and with cuBLAS's
  std::vector<std::string> modes = {"head"};
};

// The --top-ks names and the selection settings each stands for ("two-pass"
// is "auto" since the engine runs it wherever it applies: kept for the
// commands docs/benchmarks.md gives).
struct TopKChoice {
  const char* name;
  bool register_top_k, pivot_top_k, two_pass_selection;
};
constexpr TopKChoice kTopKs[] = {{"auto", true, true, true},
                                 {"two-pass", true, true, true},
                                 {"pivot", true, true, false},
                                 {"rounds", true, false, false},
                                 {"radix", false, false, false}};

const TopKChoice* find_top_k(const std::string& name) {
  for (const TopKChoice& t : kTopKs)
    if (name == t.name) return &t;
  return nullptr;
}

// "auto, two-pass, pivot, rounds, radix".
std::string top_k_names() {
  std::string names;
  for (const TopKChoice& t : kTopKs) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return names;
}

#if defined(SSA_WITH_CUDA)

constexpr int64_t kL2Bytes = 60ll << 20;
constexpr int64_t kHeads = 28, kKvHeads = 4, kHeadDim = 128;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

cudaStream_t current_stream() {
  return at::cuda::getCurrentCUDAStream().stream();
}

// Median over `replays` of one graph that runs `body(i)` for i < iterations:
// microseconds per iteration. The graph amortises launch gaps; the body
// rotates inputs so that nothing stays in the L2.
double time_graph(int iterations, int replays, const std::function<void(int)>& body) {
  CUDA_CHECK(cudaDeviceSynchronize());  // inputs made on other streams are ready
  at::cuda::CUDAStreamGuard guard(at::cuda::getStreamFromPool());
  body(0);  // warm up (handles, allocator, attributes) outside the capture
  at::cuda::CUDAGraph graph;
  graph.capture_begin();
  for (int i = 0; i < iterations; ++i) body(i);
  graph.capture_end();
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<double> us;
  graph.replay();  // the first replay uploads the graph
  for (int r = 0; r < replays; ++r) {
    CUDA_CHECK(cudaEventRecord(start, current_stream()));
    graph.replay();
    CUDA_CHECK(cudaEventRecord(stop, current_stream()));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    us.push_back(1e3 * ms / iterations);
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return median(us);
}

// Device-to-device copy bandwidth, bytes read plus written: the ceiling.
double copy_bandwidth() {
  const int64_t bytes = 2ll << 30;
  const auto opts = at::TensorOptions(at::kByte).device(at::kCUDA);
  at::Tensor a = at::empty({bytes}, opts).fill_(1), b = at::empty({bytes}, opts);
  std::vector<double> s;
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 6; ++i) {
    CUDA_CHECK(cudaEventRecord(start, current_stream()));
    CUDA_CHECK(cudaMemcpyAsync(b.data_ptr(), a.data_ptr(), bytes, cudaMemcpyDeviceToDevice,
                               current_stream()));
    CUDA_CHECK(cudaEventRecord(stop, current_stream()));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (i > 0) s.push_back(ms * 1e-3);
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return 2.0 * static_cast<double>(bytes) / median(s);
}

// A prompt of `context` raw tokens, sink 3, and one suffix token: the query.
struct BenchStream {
  GistLayout layout;
  int64_t query;
  GistHierarchy hierarchy;
};
BenchStream bench_stream(const std::string& hierarchy, int64_t context) {
  LayoutSettings s = parse_hierarchy(hierarchy);
  s.sink = 3;
  GistLayout layout(s, std::vector<int64_t>(context, 7));
  const int64_t query = layout.append(7);
  GistHierarchy h(layout, layout.prefix_length());
  return BenchStream{layout, query, h};
}

DeviceDecodeShape bench_shape(const BenchStream& s, int64_t batch) {
  DeviceDecodeShape shape;
  shape.batch = batch;
  shape.heads = kHeads;
  shape.kv_heads = kKvHeads;
  shape.head_dim = kHeadDim;
  for (int g : s.layout.settings().group_sizes) shape.group_sizes.push_back(g);
  shape.kv_capacity = s.layout.length();
  for (int l = 0; l < s.hierarchy.num_levels(); ++l)
    shape.gist_capacity.push_back(s.hierarchy.count(l));
  shape.max_chunk = s.layout.settings().chunk + 1;
  return shape;
}

// Random keys and values, and the gist keys gathered from them.
void fill_cache(DeviceLayerCache& cache, const GistHierarchy& h) {
  cache.keys.normal_();
  cache.values.normal_();
  for (int l = 0; l < h.num_levels(); ++l) {
    if (h.count(l) == 0) continue;
    const at::Tensor index =
        at::tensor(h.gists(l), at::TensorOptions(at::kLong)).to(cache.keys.device());
    cache.gist_keys[l].narrow(2, 0, h.count(l)).copy_(cache.keys.index_select(2, index));
  }
}

struct Inputs {  // one rotation set
  DeviceLayerCache cache;
  at::Tensor q;  // [B, H, D] bf16
};

// Sets of inputs that together exceed the L2 twice over for the bytes a
// step touches (`touched` per set), within a memory budget.
int rotation_sets(int64_t touched, int64_t set_bytes) {
  const int64_t want = (2 * kL2Bytes + touched - 1) / std::max<int64_t>(touched, 1);
  const int64_t budget = std::max<int64_t>(1, (24ll << 30) / std::max<int64_t>(set_bytes, 1));
  return static_cast<int>(std::clamp<int64_t>(want, 1, std::min<int64_t>(budget, 64)));
}

// --modes: the GQA modes by name (a bad one: a usage error naming it).
std::vector<GqaMode> parse_modes(const std::vector<std::string>& names) {
  std::vector<GqaMode> modes;
  for (const std::string& m : names) {
    try {
      modes.push_back(parse_gqa_mode(m));
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--modes: ") + e.what());
    }
  }
  if (modes.empty()) throw UsageError("--modes: at least one GQA mode");
  return modes;
}

// The top-k a row ran: the two-pass selection on every level the
// DeviceAttention chose it for ("mixed": some levels), else the slices' top-k
// once the environment (SSA_SELECT_TOPK) and k have their say (the pivot
// takes k up to kPivotTopK, then the rounds; past kRegisterTopK the radix walk).
const char* topk_name(const DeviceSelectionSettings& settings, int two_pass_levels, int levels) {
  if (two_pass_levels == levels) return "two-pass";
  if (two_pass_levels > 0) return "mixed";
  if (!uses_register_top_k(settings) || settings.k_max > kernels::kRegisterTopK) return "radix";
  return uses_pivot_top_k(settings) && settings.k_max <= kernels::kPivotTopK ? "pivot" : "rounds";
}

// Where one step's time goes: the kernels' phase timestamps
// (kernels/phase_clock.h) from a graph of one step after a reset of the
// slots, median over the replays of each point's time since the selection's
// first block started, and the time since the point before it.
std::string phase_table(DeviceAttention& a, const Inputs& in, const at::Tensor& out, int levels,
                        int replays) {
  using namespace kernels;
  std::vector<int64_t> first(kPhaseSlots);
  for (int i = 0; i < kPhaseSlots; ++i) first[i] = phase_is_first(i) ? -1 : 0;  // ~0 or 0
  const auto longs = at::TensorOptions(at::kLong).device(at::kCUDA);
  const at::Tensor init = at::tensor(first, at::TensorOptions(at::kLong)).to(at::kCUDA);
  const at::Tensor slots = at::empty({kPhaseSlots}, longs);
  a.set_phase_clock(reinterpret_cast<unsigned long long*>(slots.data_ptr<int64_t>()));
  const auto step = [&] {
    slots.copy_(init);
    a.attend(0, in.q, in.cache, kSelectedKeys, out, current_stream());
  };
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<std::vector<double>> at_us(kPhaseSlots);
  {
    at::cuda::CUDAStreamGuard guard(at::cuda::getStreamFromPool());
    step();  // warm up outside the capture
    at::cuda::CUDAGraph graph;
    graph.capture_begin();
    step();
    graph.capture_end();
    graph.replay();
    for (int r = 0; r < replays; ++r) {
      graph.replay();
      const at::Tensor t = slots.cpu();  // syncs with the replay
      const auto* v = reinterpret_cast<const uint64_t*>(t.data_ptr<int64_t>());
      const uint64_t t0 = v[(levels - 1) * kPhasesPerLevel + kSelStart];
      for (int i = 0; i < kPhaseSlots; ++i) {
        const bool unset = phase_is_first(i) ? v[i] == ~0ull : v[i] == 0;
        if (!unset) at_us[i].push_back((static_cast<double>(v[i]) - static_cast<double>(t0)) / 1e3);
      }
    }
  }
  a.set_phase_clock(nullptr);
  struct Row {
    std::string name;
    int slot;
  };
  std::vector<Row> rows;
  for (int l = levels - 1; l >= 0; --l) {
    const int b = l * kPhasesPerLevel;
    const std::string lv = fmt::format("level {} ", l);
    rows.push_back({lv + "selection: first block starts", b + kSelStart});
    rows.push_back({lv + "scores in shared memory (last block)", b + kSelScored});
    if (a.two_pass(l)) {  // the scores kernel, then the choose kernel's blocks (one per unit)
      rows.push_back({lv + "scores stored (last block)", b + kSelRecorded});
      rows.push_back({lv + "choose: a block starts (last)", b + kSelTail});
      rows.push_back({lv + "units' choices written (last block)", b + kSelMerged});
    } else {
      rows.push_back({lv + "scores recorded (last block)", b + kSelRecorded});
      rows.push_back({lv + "slice top-k stored (last block)", b + kSelSliceKeys});
      rows.push_back({lv + "slice top-k fenced (last block)", b + kSelSliceTop});
      rows.push_back({lv + "merge starts (last group)", b + kSelTail});
      rows.push_back({lv + "units' choices written", b + kSelMerged});
    }
    rows.push_back(
        {lv + (l > 0 ? "union of the chosen" : "first visible union (or list)"), b + kSelUnion});
    rows.push_back(
        {lv + (l > 0 ? "next candidates written" : "visible lists written"), b + kSelEnd});
  }
  rows.push_back({"attention: first split starts", kAttStart});
  rows.push_back({"attention: splits' partials stored (last)", kAttComputed});
  rows.push_back({"attention: splits' partials fenced (last)", kAttSplitsDone});
  rows.push_back({"combine starts (last unit)", kAttCombine});
  rows.push_back({"combine done: output written", kAttEnd});
  std::string table = fmt::format(
      "  phases (device %globaltimer, median of {} replays of a one-step graph)\n", replays);
  table += fmt::format("  {:<46} {:>9} {:>9}\n", "point", "at us", "+us");
  double before = 0;
  for (const Row& r : rows) {
    if (at_us[r.slot].empty()) {
      table += fmt::format("  {:<46} {:>9} {:>9}\n", r.name, "-", "-");
      continue;
    }
    const double t = median(at_us[r.slot]);
    table += fmt::format("  {:<46} {:>9.2f} {:>9.2f}\n", r.name, t, t - before);
    before = t;
  }
  return table;
}

struct SsaFigures {
  double us = 0, scored = 0, read = 0, bytes = 0;
  int two_pass_levels = 0;  // levels that ran the two-pass selection
  std::string phase_table;  // with `phases`
};

// The device SSA over every rotation set: time, and per step the gist keys
// scored and the keys read per KV group, and the bytes they are.
SsaFigures run_ssa(const BenchStream& s, int64_t batch, std::vector<Inputs>& sets,
                   DeviceSelectionSettings settings, int replays, bool phases = false) {
  DeviceAttention a(bench_shape(s, batch), settings, at::kCUDA);
  const cudaStream_t stream = current_stream();
  const std::vector<int> budgets(s.layout.num_levels(), settings.k_max);
  for (int64_t b = 0; b < batch; ++b) {
    a.set_hierarchy(b, s.hierarchy, stream);
    a.set_step(b, sequence_step(s.layout, s.hierarchy, {1}, s.query, budgets, 0));
  }
  a.upload_steps(stream);
  const at::Tensor out =
      at::empty({batch, kHeads, kHeadDim}, at::TensorOptions(at::kFloat).device(at::kCUDA));
  // Keys per step, from one run of every set.
  SsaFigures f;
  const int levels = s.layout.num_levels();
  for (int l = 0; l < levels; ++l) f.two_pass_levels += a.two_pass(l) ? 1 : 0;
  const double local = kernels::range_key_count(a.step(0));
  for (Inputs& in : sets) {
    a.attend(0, in.q, in.cache, kernels::kSelectedKeys, out, stream);
    double scored = s.hierarchy.count(levels - 1) * static_cast<double>(batch * kKvHeads);
    for (int l = 0; l < levels - 1; ++l) scored += a.candidate_count(l).sum().item<double>();
    const double read =
        a.visible_count().sum().item<double>() + local * a.attention_units() * batch;
    f.scored += scored / (batch * kKvHeads) / sets.size();
    f.read += read / (batch * a.attention_units()) / sets.size();
  }
  f.bytes = static_cast<double>(batch) *
            (kKvHeads * f.scored * kHeadDim * 2 + a.attention_units() * f.read * kHeadDim * 4);
  if (a.errors() != 0) throw std::runtime_error(fmt::format("kernel error bits {}", a.errors()));
  const int n = static_cast<int>(sets.size());
  f.us = time_graph(std::max(n, 20), replays, [&](int i) {
    Inputs& in = sets[i % n];
    a.attend(0, in.q, in.cache, kernels::kSelectedKeys, out, current_stream());
  });
  if (phases) f.phase_table = phase_table(a, sets[0], out, levels, replays);
  return f;
}

// Dense attention over the same stream: LibTorch SDPA (GQA) and the split-KV kernel.
std::pair<double, double> run_dense(const BenchStream& s, int64_t batch, std::vector<Inputs>& sets,
                                    int version, int replays) {
  const int n = static_cast<int>(sets.size());
  const double scale = 1.0 / std::sqrt(static_cast<double>(kHeadDim));
  const double sdpa = time_graph(std::max(n, 20), replays, [&](int i) {
    Inputs& in = sets[i % n];
    at::scaled_dot_product_attention(in.q.unsqueeze(2), in.cache.keys, in.cache.values, {}, 0.0,
                                     false, scale, /*enable_gqa=*/true);
  });
  DeviceSelectionSettings settings;
  settings.version = version;
  settings.keys_per_split = 1024;
  DeviceAttention a(bench_shape(s, batch), settings, at::kCUDA);
  for (int64_t b = 0; b < batch; ++b) {
    a.set_hierarchy(b, s.hierarchy, current_stream());
    a.set_step(b, sequence_step(s.layout, s.hierarchy, {1}, s.query,
                                std::vector<int>(s.layout.num_levels(), 1), 0));
  }
  a.upload_steps(current_stream());
  const at::Tensor out =
      at::empty({batch, kHeads, kHeadDim}, at::TensorOptions(at::kFloat).device(at::kCUDA));
  const double flash = time_graph(std::max(n, 20), replays, [&](int i) {
    Inputs& in = sets[i % n];
    a.attend(0, in.q, in.cache, kernels::kAllKeys, out, current_stream());
  });
  return {sdpa, flash};
}

std::vector<Inputs> make_sets(const BenchStream& s, int64_t batch, int count) {
  DeviceAttention shape_only(bench_shape(s, batch), DeviceSelectionSettings{}, at::kCUDA);
  std::vector<Inputs> sets;
  for (int i = 0; i < count; ++i) {
    Inputs in{shape_only.make_cache(),
              at::randn({batch, kHeads, kHeadDim}, at::TensorOptions(at::kFloat).device(at::kCUDA))
                  .to(at::kBFloat16)};
    fill_cache(in.cache, s.hierarchy);
    sets.push_back(std::move(in));
  }
  return sets;
}

void print_kernel_header(double bandwidth) {
  fmt::print("copy bandwidth (device to device, read + write): {:.0f} GB/s\n", bandwidth / 1e9);
  fmt::print(
      "{:>7} {:>14} {:>3} {:>3} {:>6} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9} {:>8} {:>8} "
      "{:>7} {:>8}\n",
      "context", "hierarchy", "B", "k", "mode", "SDPA us", "flash us", "SSA us", "xSDPA", "scored",
      "read/grp", "MB", "GB/s", "%copy", "top-k");
}

// The selection settings of a top-k by its --top-ks name (--radix-top-k: radix).
DeviceSelectionSettings topk_settings(const KernelBenchOptions& o, const std::string& top_k) {
  const TopKChoice& t = *find_top_k(top_k);  // run_bench_kernels checked the names
  DeviceSelectionSettings settings;
  settings.register_top_k = !o.radix && t.register_top_k;
  settings.pivot_top_k = t.pivot_top_k;
  settings.two_pass_selection = t.two_pass_selection;
  return settings;
}
DeviceSelectionSettings topk_settings(const KernelBenchOptions& o) {
  return topk_settings(o, o.top_ks.front());
}

void run_bench_kernels(const KernelBenchOptions& o) {
  if (o.top_ks.empty()) throw UsageError("--top-ks must name some of " + top_k_names());
  if (!torch::cuda::is_available()) throw UsageError("bench kernels: no CUDA device");
  if (o.version < 1 || o.version > 2) throw UsageError("--version must be 1 or 2");
  if (o.replays < 3) throw UsageError("--replays must be >= 3");
  const std::vector<GqaMode> modes = parse_modes(o.modes);
  for (const std::string& h : o.hierarchies) {
    try {
      parse_hierarchy(h);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--hierarchies: ") + e.what());
    }
  }
  for (int64_t c : o.contexts)
    if (c < 256 || c > (1 << 22)) throw UsageError("--contexts must be 256..4194304 tokens each");
  for (int64_t b : o.batches)
    if (b < 1 || b > 64) throw UsageError("--batches must be 1..64 each");
  for (int k : o.ks)
    if (k < 1 || k > 4096) throw UsageError("--ks must be 1..4096 each");
  const double bandwidth = copy_bandwidth();
  fmt::print(
      "bench kernels: Qwen2-7B layer ({} query heads, {} KV heads, d {}), bf16, sink 3, "
      "p 1, kernel version {}, top-k {}, median of {} graph replays\n",
      kHeads, kKvHeads, kHeadDim, o.version,
      o.radix ? std::string("radix") : fmt::format("{}", fmt::join(o.top_ks, ",")), o.replays);
  print_kernel_header(bandwidth);
  for (int64_t context : o.contexts) {
    for (const std::string& hierarchy : o.hierarchies) {
      const BenchStream s = bench_stream(hierarchy, context);
      for (int64_t batch : o.batches) {
        const int64_t set_bytes = batch * kKvHeads * s.layout.length() * kHeadDim * 2 * 2;
        const int64_t touched =
            batch * kKvHeads * (s.hierarchy.count(s.hierarchy.top_level()) + 4096) * kHeadDim * 2;
        std::vector<Inputs> sets = make_sets(s, batch, rotation_sets(touched, set_bytes));
        const auto [sdpa, flash] = run_dense(s, batch, sets, o.version, o.replays);
        for (int k : o.ks) {
          for (size_t row = 0; row < modes.size() * o.top_ks.size(); ++row) {
            const size_t m = row / o.top_ks.size();
            DeviceSelectionSettings settings = topk_settings(o, o.top_ks[row % o.top_ks.size()]);
            settings.mode = modes[m];
            settings.k_max = k;
            settings.version = o.version;
            settings.keys_per_split = o.keys_per_split;
            settings.overlap_launches = o.overlap;
            const SsaFigures f = run_ssa(s, batch, sets, settings, o.replays, o.phases);
            const double gbs = f.bytes / (f.us * 1e-6) / 1e9;
            fmt::print(
                "{:>7} {:>14} {:>3} {:>3} {:>6} {:>10.1f} {:>10.1f} {:>10.1f} {:>7.1f}x "
                "{:>8.0f} {:>9.0f} {:>8.2f} {:>8.0f} {:>6.0f}% {:>8}\n",
                context, hierarchy, batch, k, o.modes[m], sdpa, flash, f.us, sdpa / f.us, f.scored,
                f.read, f.bytes / 1e6, gbs, 100 * gbs * 1e9 / bandwidth,
                topk_name(settings, f.two_pass_levels, s.layout.num_levels()));
            fmt::print("{}", f.phase_table);
            std::fflush(stdout);
          }
        }
      }
    }
  }
  if (!o.tables) return;
  // Keys per split and overlapped launches at the latency-bound shape.
  fmt::print("\nsplit and overlap sweep: 128K, B 1, k 16, head mode\n{:>14} {:>10} {:>12} {:>12}\n",
             "hierarchy", "keys/split", "SSA us", "overlapped");
  for (const char* hierarchy : {"chunk16", "chunk4-chunk4"}) {
    const BenchStream s = bench_stream(hierarchy, 131072);
    std::vector<Inputs> sets = make_sets(s, 1, 8);
    for (int per : {16, 32, 64, 128, 256, 1024}) {
      DeviceSelectionSettings settings = topk_settings(o);
      settings.k_max = 16;
      settings.version = o.version;
      settings.keys_per_split = per;
      const double plain = run_ssa(s, 1, sets, settings, o.replays).us;
      settings.overlap_launches = true;
      const double overlapped = run_ssa(s, 1, sets, settings, o.replays).us;
      fmt::print("{:>14} {:>10} {:>12.1f} {:>12.1f}\n", hierarchy, per, plain, overlapped);
      std::fflush(stdout);
    }
  }
  // H-SSA with a level added as the context grows 4x: the scored keys grow like log N.
  fmt::print("\nH-SSA keys scored vs context (B 1, k 16, head mode; levels added as N grows)\n");
  fmt::print("{:>8} {:>26} {:>10} {:>10} {:>10} {:>12} {:>10}\n", "context", "hierarchy", "scored",
             "read/grp", "H-SSA us", "SSA chunk16", "SSA us");
  const std::vector<std::pair<int64_t, std::string>> ladder = {
      {8192, "chunk4-chunk4"},
      {32768, "chunk4-chunk4-chunk4"},
      {131072, "chunk4-chunk4-chunk4-chunk4"},
      {524288, "chunk4-chunk4-chunk4-chunk4-chunk4"}};
  for (const auto& [context, hierarchy] : ladder) {
    const BenchStream h = bench_stream(hierarchy, context), s = bench_stream("chunk16", context);
    DeviceSelectionSettings settings = topk_settings(o);
    settings.k_max = 16;
    settings.version = o.version;
    settings.keys_per_split = o.keys_per_split;
    settings.overlap_launches = o.overlap;
    std::vector<Inputs> hs = make_sets(h, 1, 4);
    const SsaFigures fh = run_ssa(h, 1, hs, settings, o.replays);
    hs.clear();
    std::vector<Inputs> ss = make_sets(s, 1, 4);
    const SsaFigures fs = run_ssa(s, 1, ss, settings, o.replays);
    fmt::print("{:>8} {:>26} {:>10.0f} {:>10.0f} {:>10.1f} {:>12.0f} {:>10.1f}\n", context,
               hierarchy, fh.scored, fh.read, fh.us, fs.scored, fs.us);
    std::fflush(stdout);
  }
}

// --- the whole model --------------------------------------------------------

ModelConfig qwen2_7b_config() {
  ModelConfig c;
  c.model_type = "qwen2";
  c.vocab_size = 152064;
  c.hidden_size = 3584;
  c.intermediate_size = 18944;
  c.num_hidden_layers = 28;
  c.num_attention_heads = kHeads;
  c.num_key_value_heads = kKvHeads;
  c.head_dim = kHeadDim;
  c.rope_theta = 1000000.0;
  c.rms_norm_eps = 1e-6;
  c.qkv_bias = true;
  c.torch_dtype = "bfloat16";
  return c;
}

// Random bf16 weights made on the device (normal(0, 0.02), unit norms, zero biases).
DecoderModel random_device_model(const ModelConfig& c) {
  TensorMap weights;
  const auto bf16 = at::TensorOptions(at::kBFloat16).device(at::kCUDA);
  for (const auto& [name, shape] : DecoderModel::expected_shapes(c)) {
    const bool is_norm = name.find("norm.weight") != std::string::npos;
    weights.emplace(name, is_norm             ? at::ones(shape, bf16)
                          : shape.size() == 1 ? at::zeros(shape, bf16)
                                              : at::randn(shape, bf16).mul_(0.02));
  }
  DecoderModel model(c, std::move(weights));
  pack_projection_weights(model);  // one q/k/v and one gate/up GEMM per layer, on views
  return model;
}

// Median ms per step over `steps` graph replays (after the eager first step
// and the capture), decoding the same position of every sequence.
double time_steps(DeviceDecoder& d, int steps, bool record) {
  std::vector<double> ms;
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  // Recording: each step's choices and scores are copied to pinned host
  // memory on a copy stream while the next step runs (two buffer sets).
  cudaStream_t copy = nullptr;
  cudaEvent_t copied[2] = {nullptr, nullptr}, computed = nullptr;
  std::vector<at::Tensor> pinned;
  if (record) {
    CUDA_CHECK(cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking));
    for (cudaEvent_t& e : copied) CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventCreateWithFlags(&computed, cudaEventDisableTiming));
    for (int set = 0; set < 2; ++set) {
      for (const at::Tensor& t :
           {d.attention().choice_buffer(set), d.attention().score_buffer(set)})
        pinned.push_back(at::empty(t.sizes(), t.options().device(at::kCPU).pinned_memory(true)));
    }
  }
  for (int i = 0; i < steps + 3; ++i) {
    const int set = i % 2;
    if (record && i >= 2) CUDA_CHECK(cudaStreamWaitEvent(current_stream(), copied[set], 0));
    CUDA_CHECK(cudaEventRecord(start, current_stream()));
    d.step(record ? set : 0, record);
    CUDA_CHECK(cudaEventRecord(stop, current_stream()));
    if (record) {
      CUDA_CHECK(cudaEventRecord(computed, current_stream()));
      CUDA_CHECK(cudaStreamWaitEvent(copy, computed, 0));
      const at::Tensor* buffers[2] = {&d.attention().choice_buffer(set),
                                      &d.attention().score_buffer(set)};
      for (int j = 0; j < 2; ++j) {
        CUDA_CHECK(cudaMemcpyAsync(pinned[2 * set + j].data_ptr(), buffers[j]->data_ptr(),
                                   buffers[j]->nbytes(), cudaMemcpyDeviceToHost, copy));
      }
      CUDA_CHECK(cudaEventRecord(copied[set], copy));
    }
    CUDA_CHECK(cudaEventSynchronize(stop));
    float t = 0;
    CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
    if (i >= 3) ms.push_back(t);  // eager step, capture, first replays: warm-up
  }
  if (record) {
    CUDA_CHECK(cudaStreamSynchronize(copy));
    CUDA_CHECK(cudaStreamDestroy(copy));
    for (cudaEvent_t e : copied) CUDA_CHECK(cudaEventDestroy(e));
    CUDA_CHECK(cudaEventDestroy(computed));
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return median(ms);
}

void run_bench_decode_model(const ModelBenchOptions& o) {
  if (!torch::cuda::is_available()) throw UsageError("bench decode-model: no CUDA device");
  if (o.k < 1 || o.steps < 3) throw UsageError("--k must be >= 1 and --steps >= 3");
  for (int64_t c : o.contexts)
    if (c < 256 || c > (1 << 20)) throw UsageError("--contexts must be 256..1048576 tokens each");
  for (int64_t b : o.batches)
    if (b < 1 || b > 64) throw UsageError("--batches must be 1..64 each");
  const std::vector<GqaMode> modes = parse_modes(o.modes);  // before 15 GB of weights
  const ModelConfig config = qwen2_7b_config();
  const DecoderModel model = random_device_model(config);
  const double weight_bytes = static_cast<double>(model.num_parameters()) * 2;
  const double bandwidth = copy_bandwidth();
  fmt::print(
      "bench decode-model: Qwen2-7B shape, random bf16 weights ({:.2f} GB), SSA chunk16 "
      "k {} (first {} layer(s) dense), copy bandwidth {:.0f} GB/s\n",
      weight_bytes / 1e9, o.k, o.dense_layers, bandwidth / 1e9);
  fmt::print("weights alone take {:.2f} ms per step at that bandwidth\n",
             weight_bytes / bandwidth * 1e3);
  fmt::print("{:>7} {:>3} {:>6} {:>6} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>10}\n", "context",
             "B", "mode", "ops", "SDPA ms", "flash ms", "SSA ms", "SSA+rec ms", "xSDPA", "xflash",
             "rec cost");
  // Every row with the fused step ops and the small-batch GEMMs; then, asked
  // for, with cuBLAS's GEMMs (--compare-gemm) and with LibTorch's op chains
  // (--compare-ops).
  struct Ops {
    bool fused, small_gemm;
    const char* name;
  };
  std::vector<Ops> ops{{true, true, "fused"}};
  if (o.compare_gemm) ops.push_back({true, false, "cublas"});
  if (o.compare_ops) ops.push_back({false, false, "chain"});
  const size_t variants = ops.size();
  for (int64_t context : o.contexts) {
    const BenchStream s = bench_stream("chunk16", context);
    for (int64_t batch : o.batches) {
      auto run = [&](DeviceDecoder& d, bool record) {
        const std::vector<int> budgets(s.layout.num_levels(), o.k);
        for (int64_t b = 0; b < batch; ++b) {
          d.attention().set_hierarchy(b, s.hierarchy, current_stream());
          d.attention().set_training_row(b, training_row_gists(s.layout, s.hierarchy, {1}, s.query),
                                         current_stream());
          d.attention().set_step(
              b, sequence_step(s.layout, s.hierarchy, {1}, s.query, budgets,
                               training_row_gists(s.layout, s.hierarchy, {1}, s.query).size()));
        }
        d.set_inputs(std::vector<int64_t>(batch, 42),
                     std::vector<int64_t>(batch, s.layout.position_id(s.query)));
        return time_steps(d, o.steps, record);
      };
      // The dense baselines once per (context, batch, ops), over the caches
      // the first mode's decoder filled; every mode's row divides by them.
      std::vector<DeviceLayerCache> caches;
      double sdpa_ms = 0, flash_ms = 0;
      for (size_t row = 0; row < modes.size() * variants; ++row) {
        const size_t m = row % modes.size();
        const Ops& variant = ops[row / modes.size()];
        const bool fused = variant.fused;
        DeviceDecoderSettings ssa;
        ssa.selection.mode = modes[m];
        ssa.selection.k_max = o.k;
        ssa.selection.version = o.version;
        ssa.selection.record_scores = true;
        ssa.selection.record_sets = 2;
        ssa.selection.overlap_launches = o.overlap;
        ssa.dense_layers = o.dense_layers;
        ssa.fused_ops = fused;
        ssa.small_batch_gemm = variant.small_gemm;
        DeviceDecoder selective(model, bench_shape(s, batch), ssa, caches);
        if (caches.empty())
          for (DeviceLayerCache& cache : selective.caches()) fill_cache(cache, s.hierarchy);
        const double ssa_ms = run(selective, false), record_ms = run(selective, true);
        if (m == 0) {
          caches = selective.caches();
          DeviceDecoderSettings flash;
          flash.attention = DeviceAttentionKind::kFullFlash;
          flash.selection.version = o.version;
          flash.selection.keys_per_split = 1024;
          flash.fused_ops = fused;
          flash.small_batch_gemm = variant.small_gemm;
          DeviceDecoder dense_flash(model, bench_shape(s, batch), flash, caches);
          flash_ms = run(dense_flash, false);
          DeviceDecoderSettings sdpa = flash;
          sdpa.attention = DeviceAttentionKind::kFullSdpa;
          sdpa.sdpa_length = s.query + 1;
          DeviceDecoder dense_sdpa(model, bench_shape(s, batch), sdpa, caches);
          sdpa_ms = run(dense_sdpa, false);
        }
        fmt::print(
            "{:>7} {:>3} {:>6} {:>6} {:>12.3f} {:>12.3f} {:>12.3f} {:>12.3f} {:>8.2f}x {:>8.2f}x "
            "{:>9.1f}%\n",
            context, batch, o.modes[m], variant.name, sdpa_ms, flash_ms, ssa_ms, record_ms,
            sdpa_ms / ssa_ms, flash_ms / ssa_ms, 100 * (record_ms - ssa_ms) / ssa_ms);
        std::fflush(stdout);
      }
    }
  }
}

#endif  // SSA_WITH_CUDA

}  // namespace

void register_bench_kernels_commands(CLI::App& bench) {
  auto k = std::make_shared<KernelBenchOptions>();
  CLI::App* kernels = bench.add_subcommand(
      "kernels",
      "One decode layer on the GPU: dense SDPA vs device SSA / H-SSA, bytes and bandwidth");
  kernels->add_option("--contexts", k->contexts, "Raw-token contexts")->delimiter(',');
  kernels->add_option("--batches", k->batches, "Sequences decoded together")->delimiter(',');
  kernels->add_option("--hierarchies", k->hierarchies, "chunk16, chunk4-chunk4, ...")
      ->delimiter(',');
  kernels->add_option("--ks", k->ks, "Budgets k")->delimiter(',');
  kernels->add_option("--modes", k->modes, "GQA modes: head, group, independent")->delimiter(',');
  kernels->add_option("--version", k->version, "Kernel version: 1 plain, 2 tensor cores");
  kernels->add_option("--replays", k->replays, "Graph replays (median)");
  kernels->add_option("--keys-per-split", k->keys_per_split,
                      "Attention keys per block (0: the engine's rule for the batch)");
  kernels->add_flag("--overlap", k->overlap,
                    "Programmatic dependent launches between a layer's kernels");
  kernels->add_flag("--phases", k->phases,
                    "After each SSA row, where its step's time goes (device timestamps)");
  kernels->add_flag("--radix-top-k", k->radix,
                    "The selection's radix-walk top-k, not the register one (as "
                    "SSA_SELECT_TOPK=radix)");
  kernels
      ->add_option("--top-ks", k->top_ks,
                   "Selection top-k's, each SSA row once per entry: auto (default: the engine's "
                   "choice, two-pass wherever it applies), two-pass (the same), pivot (the slices' "
                   "top-k, as SSA_SELECT_TOPK=slices), rounds (as SSA_SELECT_TOPK=rounds), radix")
      ->delimiter(',')
      ->check(CLI::Validator(
          [](std::string& name) {
            return find_top_k(name)
                       ? std::string()
                       : "must each be one of " + top_k_names() + ", got '" + name + "'";
          },
          "TOP-K"));
  kernels->add_flag("!--no-tables", k->tables,
                    "Leave out the split / overlap sweep and the H-SSA table");
  auto m = std::make_shared<ModelBenchOptions>();
  CLI::App* model = bench.add_subcommand(
      "decode-model", "ms per token of a Qwen2-7B-shaped random model: SSA vs dense on the GPU");
  model->add_option("--contexts", m->contexts, "Raw-token contexts")->delimiter(',');
  model->add_option("--batches", m->batches, "Sequences decoded together")->delimiter(',');
  model->add_option("--k", m->k, "Budget k");
  model->add_option("--modes", m->modes, "GQA modes of the SSA rows: head, group, independent")
      ->delimiter(',');
  model->add_option("--dense-layers", m->dense_layers, "First layers without selection");
  model->add_option("--steps", m->steps, "Timed steps (median)");
  model->add_option("--version", m->version, "Kernel version: 1 plain, 2 tensor cores");
  model->add_flag("--overlap", m->overlap,
                  "Programmatic dependent launches between a layer's kernels");
  model->add_flag("--compare-gemm", m->compare_gemm,
                  "Every row also with cuBLAS's GEMMs in place of the small-batch kernel");
  model->add_flag("--compare-ops", m->compare_ops,
                  "Every row also with LibTorch's op chains in place of the fused step kernels");
#if defined(SSA_WITH_CUDA)
  kernels->callback([k] { run_bench_kernels(*k); });
  model->callback([m] { run_bench_decode_model(*m); });
#else
  kernels->callback([] { throw UsageError("bench kernels: built without CUDA kernels"); });
  model->callback([] { throw UsageError("bench decode-model: built without CUDA kernels"); });
#endif
}

}  // namespace ssa::cli
