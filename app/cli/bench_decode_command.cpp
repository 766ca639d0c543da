// `ssa-workbench bench decode`: what one decode step's attention costs as the
// context grows, for full attention, SSA and H-SSA (one layer, random KV).
//
// The model's other work per step (projections, MLP) does not depend on the
// context, so the attention over the KV cache is what must grow sub-linearly
// (SSA) or like log N (H-SSA with levels added as N grows). The KV cache is
// random: selection cost and keys touched do not depend on what the keys are.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "engine/decode/budget.h"
#include "engine/decode/selective_attention.h"
#include "engine/layout/gist_layout.h"

namespace ssa::cli {
namespace {

struct BenchDecodeOptions {
  std::vector<int64_t> contexts = {1024, 4096, 16384, 65536};
  int k = 4;
  std::string budget = "fixed";  // fixed, auto or reference (engine/decode/budget.h)
  int steps = 15;
  int64_t heads = 8, kv_heads = 2, head_dim = 64;
  int threads = 1;  // one core: steadier medians, and what a per-step figure means
};

struct Method {
  std::string name;
  std::string hierarchy;  // empty: full attention
};

struct Figures {
  double ms = 0, scored = 0, read = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Figures run_method(const Method& method, int64_t context, BudgetMode budget,
                   const BenchDecodeOptions& o) {
  LayoutSettings settings =
      method.hierarchy.empty() ? LayoutSettings{} : parse_hierarchy(method.hierarchy);
  settings.sink = 3;
  GistLayout layout(settings, std::vector<int64_t>(context, 7));
  const int64_t query = layout.append(7);
  const int64_t length = layout.length();
  at::manual_seed(0);
  const at::Tensor keys = at::randn({o.kv_heads, length, o.head_dim});
  const at::Tensor values = at::randn({o.kv_heads, length, o.head_dim});
  const GistHierarchy hierarchy(layout);
  // As a decode session does: the gist keys of each level contiguous, once.
  const std::vector<at::Tensor> gist_keys = gather_gist_keys(keys, hierarchy);
  SelectiveAttentionOptions options;
  options.gist_keys = &gist_keys;
  SelectionSettings user;
  user.k = o.k;
  // The query's call sees the whole stream (its own KV length).
  const SelectionSettings selection =
      budget_selection(budget, user, length, settings, static_cast<int>(o.heads / o.kv_heads));
  Figures f;
  std::vector<double> times;
  for (int s = 0; s < o.steps + 2; ++s) {
    const at::Tensor q = at::randn({o.heads, o.head_dim});
    const auto start = std::chrono::steady_clock::now();
    if (method.hierarchy.empty()) {
      at::Tensor out = full_attention(q, keys, values);
      f.read = static_cast<double>(length);
    } else {
      const auto r = selective_attention(q, keys, values, layout, hierarchy, {1}, query, selection,
                                         GqaMode::kHead, options);
      f.scored = r.keys_scored;
      f.read = r.keys_read;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (s >= 2) times.push_back(ms);  // two warm-up steps
  }
  f.ms = median(times);
  return f;
}

void run_bench_decode(const BenchDecodeOptions& o) {
  if (o.k < 1 || o.steps < 1) throw UsageError("--k and --steps must be >= 1");
  if (o.heads % o.kv_heads != 0) throw UsageError("--heads must be a multiple of --kv-heads");
  for (int64_t c : o.contexts) {
    if (c < 64) throw UsageError("--contexts must be >= 64 tokens each");
  }
  if (o.threads < 1) throw UsageError("--threads must be >= 1");
  BudgetMode budget;
  try {
    budget = parse_budget_mode(o.budget);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--budget: ") + e.what());
  }
  if (budget == BudgetMode::kTopP)
    throw UsageError("--budget: bench decode times k budgets (fixed, auto or reference)");
  at::set_num_threads(o.threads);
  const std::vector<Method> methods = {{"full attention", ""},
                                       {"SSA chunk8", "chunk8"},
                                       {"H-SSA chunk8-chunk8", "chunk8-chunk8"},
                                       {"H-SSA chunk8-chunk8-chunk8", "chunk8-chunk8-chunk8"}};
  fmt::print(
      "decode attention per step and layer: {} query heads, {} KV heads, d={}, budget {} (k={}), "
      "CPU threads {}, median of {} steps\n",
      o.heads, o.kv_heads, o.head_dim, o.budget, o.k, at::get_num_threads(), o.steps);
  fmt::print("{:>8}  {:<28} {:>10} {:>12} {:>10} {:>14}\n", "context", "method", "ms/step",
             "keys scored", "keys read", "time vs full");
  for (int64_t context : o.contexts) {
    double full_ms = 0;
    for (const Method& m : methods) {
      const Figures f = run_method(m, context, budget, o);
      if (m.hierarchy.empty()) full_ms = f.ms;
      fmt::print("{:>8}  {:<28} {:>10.3f} {:>12.0f} {:>10.0f} {:>13.2f}x\n", context, m.name, f.ms,
                 f.scored, f.read, f.ms / full_ms);
    }
  }
}

}  // namespace

void register_bench_decode_command(CLI::App& app) {
  auto o = std::make_shared<BenchDecodeOptions>();
  CLI::App* cmd = bench_group(app).add_subcommand(
      "decode", "Time one decode step's attention at growing contexts: full, SSA, H-SSA");
  cmd->add_option("--contexts", o->contexts, "Raw-token contexts")
      ->delimiter(',')
      ->check(CLI::Range(int64_t(64), int64_t(1) << 24));
  cmd->add_option("--k", o->k, "Chunks chosen per level (reference: at levels >= 2)");
  cmd->add_option("--budget", o->budget,
                  "fixed (--k at every level), auto (the reference's formula at every level) or "
                  "reference (the formula at levels 0 and 1, --k above)");
  cmd->add_option("--steps", o->steps, "Timed steps per configuration (median)");
  cmd->add_option("--heads", o->heads, "Query heads")->check(CLI::Range(int64_t(1), int64_t(256)));
  cmd->add_option("--kv-heads", o->kv_heads, "KV heads")
      ->check(CLI::Range(int64_t(1), int64_t(256)));
  cmd->add_option("--head-dim", o->head_dim, "Head dimension")
      ->check(CLI::Range(int64_t(1), int64_t(4096)));
  cmd->add_option("--threads", o->threads, "CPU threads for LibTorch")->check(CLI::Range(1, 1024));
  cmd->callback([o] { run_bench_decode(*o); });
}

}  // namespace ssa::cli
