// The GPU decode path against the CPU reference, on random data: selection
// (every GQA mode, budgets, quarter cap, top-p, H-SSA descent, generation
// gists, batches with their own selections), sparse attention (visible keys,
// training row, all keys), the whole-model step and DeviceDecodeSession vs
// DecodeSession on a small random model. Both kernel versions. Workspaces and
// caches are poisoned (NaN, -1) before each run; scores compare in fp32, the
// choices must agree except where scores tie within rounding, outputs to bf16
// tolerance. GPU-only: every case skips without a CUDA device.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/decode/budget.h"
#include "engine/decode/decode_session.h"
#include "engine/decode/device_attention.h"
#include "engine/decode/device_decode_session.h"
#include "engine/decode/device_decoder.h"
#include "engine/decode/device_plan.h"
#include "engine/decode/projection_packing.h"
#include "engine/decode/selective_attention.h"
#include "kernels/cuda_check.h"
#include "tests/engine/layout_names.h"
#include "tests/kernels/device_layer_check.h"
#include "tests/kernels/layer_cases.h"
#include "tests/kernels/step_ops_check.h"

namespace ssa {
namespace {

bool have_gpu() {
  return torch::cuda::is_available();
}

// --- one layer -------------------------------------------------------------

using testing::Agreement;
using testing::LayerCase;
using testing::relative_error;
using testing::Stream;

using testing::filled_cache;
using testing::LayerData;
using testing::LayerRun;
using testing::random_data;
using testing::shape_for;

void check_layer_case(const LayerCase& c, int version, uint64_t seed, Agreement* agreement,
                      bool overlap = false, bool register_top_k = true, bool pivot_top_k = true,
                      bool two_pass = false) {
  LayerRun run;
  run.version = version;
  run.seed = seed;
  run.overlap_launches = overlap;
  run.register_top_k = register_top_k;
  run.pivot_top_k = pivot_top_k;
  run.two_pass = two_pass;
  testing::check_selection(c, run, agreement);
}

TEST(DeviceSelection, MatchesTheCpuReferenceOnRandomCases) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  std::mt19937 rng(1301);
  for (int version = 1; version <= 2; ++version) {
    Agreement agreement;
    for (int trial = 0; trial < 36; ++trial) {
      const LayerCase c = testing::random_layer_case(rng);
      // Even trials with the radix walk (SSA_SELECT_TOPK=radix); the odd ones
      // (the register top-k) cycle the two-pass selection, the slices' pivot,
      // the arg-max rounds (SSA_SELECT_TOPK=rounds), the pivot.
      const int odd = trial % 8;
      check_layer_case(c, version, 7000 + trial, &agreement, false, trial % 2 == 1, odd != 5,
                       odd == 1);
      if (HasFailure()) return;
    }
    // Ties must stay rare, or the comparison proves little.
    EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << "version " << version;
  }
}

TEST(DeviceSelection, EveryModeAtQwenShape) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  // 28 query heads on 4 KV heads (qwen_layer_case), 6000 raw tokens, two sequences.
  for (const char* hierarchy : {"chunk16", "chunk4-chunk4"}) {
    for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
      for (int version = 1; version <= 2; ++version) {
        const LayerCase c = testing::qwen_layer_case(hierarchy, mode, 6000, 4, 2);
        Agreement agreement;
        // The two-pass selection, alone and with programmatic dependent launches.
        check_layer_case(c, version, 99, &agreement, false, true, true, /*two_pass=*/true);
        check_layer_case(c, version, 99, &agreement, /*overlap=*/true, true, true, true);
        // The slices' pivot top-k and the merge, the same two ways.
        check_layer_case(c, version, 99, &agreement);
        check_layer_case(c, version, 99, &agreement, /*overlap=*/true);
        // And with the radix walk instead of the register top-k.
        check_layer_case(c, version, 99, &agreement, false, /*register_top_k=*/false);
        // And with the register top-k's arg-max rounds instead of the pivot.
        check_layer_case(c, version, 99, &agreement, false, true, /*pivot_top_k=*/false);
        if (HasFailure()) return;
        EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << hierarchy;
      }
    }
  }
}

// The reference budget: the automatic k at levels 0 and 1, the user's k
// above, checked with a per-level selection written here from
// chunk_selector's pieces (select_chunks takes one k for every level).
TEST(DeviceSelection, ReferenceBudgetPerLevel) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  LayerCase c;
  c.layout = parse_hierarchy("chunk2-chunk2-chunk3");
  c.mask.previous_chunks = 1;
  c.raw = 2400;
  c.kv_heads = 2;
  c.group = 4;
  c.head_dim = 64;
  c.mode = GqaMode::kGroup;
  c.select.k = 2;
  c.select.quarter_cap = false;
  const Stream s = testing::make_stream(c);
  const std::vector<int> budgets =
      level_budgets(budget_selection(BudgetMode::kReference, c.select, s.query + 1, c.layout, 4),
                    c.layout.num_levels());
  ASSERT_NE(budgets[0], budgets[2]);
  for (int version = 1; version <= 2; ++version) {
    const LayerData d = random_data(c, s.layout.length(), 5, at::kCUDA);
    DeviceSelectionSettings settings;
    settings.mode = c.mode;
    settings.quarter_cap = false;
    settings.k_max = *std::max_element(budgets.begin(), budgets.end());
    settings.version = version;
    DeviceAttention a(shape_for(c, s), settings, at::kCUDA);
    a.poison();
    const DeviceLayerCache cache = filled_cache(a, d, s.hierarchy);
    a.set_hierarchy(0, s.hierarchy, nullptr);
    a.set_step(0, sequence_step(s.layout, s.hierarchy, c.mask, s.query, budgets, 0));
    a.upload_steps(nullptr);
    const at::Tensor out =
        at::full({1, 8, 64}, NAN, at::TensorOptions(at::kFloat).device(at::kCUDA));
    a.attend(0, d.q, cache, kernels::kSelectedKeys, out, nullptr);
    const auto dev = a.choices(0, 0, 0, s.hierarchy, false);
    const at::Tensor q = d.q[0].to(at::kDouble).cpu(), keys = d.keys[0].to(at::kDouble).cpu();
    for (int64_t g = 0; g < 2; ++g) {
      // Group mode: the group's summed scores, level by level.
      std::vector<int64_t> candidates(s.hierarchy.count(s.hierarchy.top_level()));
      std::iota(candidates.begin(), candidates.end(), 0);
      for (int level = s.hierarchy.top_level(), i = 0; level >= 0; --level, ++i) {
        std::vector<double> scores;
        for (int64_t j : candidates) {
          const int64_t pos = s.hierarchy.gists(level)[j];
          scores.push_back(at::matmul(q.narrow(0, g * 4, 4), keys[g][pos]).sum().item<double>());
        }
        SelectionSettings level_select = c.select;
        level_select.k = budgets[level];
        std::vector<int64_t> chosen =
            choose_top(candidates, scores,
                       level_budget(level_select, s.hierarchy.count(level), candidates.size()), 0);
        std::sort(chosen.begin(), chosen.end());
        std::vector<int64_t> got = dev[g][i].chosen;
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, chosen) << "v" << version << " group " << g << " level " << level;
        candidates.clear();
        for (int64_t j : chosen) {
          if (level == 0) break;
          for (int64_t ch = s.hierarchy.first_child(level, j); ch < s.hierarchy.end_child(level, j);
               ++ch)
            candidates.push_back(ch);
        }
      }
    }
  }
}

TEST(DeviceAttention, AllKeysAndTrainingRowMatchTheCpu) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  std::mt19937 rng(77);
  for (int trial = 0; trial < 24; ++trial) {
    LayerCase c = testing::random_layer_case(rng);
    c.raw = 20 + rng() % 12000;
    for (int version = 1; version <= 2; ++version) {
      LayerRun run;
      run.version = version;
      run.seed = 300 + trial;
      testing::check_unselected(c, run, trial % 2 ? 64 : 1024);
      if (HasFailure()) return;
    }
  }
}

// --- the whole model -------------------------------------------------------

ModelConfig small_config(int levels, int64_t head_dim) {
  ModelConfig c;
  c.vocab_size = 259 + levels;
  c.hidden_size = 128;
  c.intermediate_size = 256;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 8;
  c.num_key_value_heads = 2;
  c.head_dim = head_dim;
  c.rope_theta = 10000;
  c.rms_norm_eps = 1e-6;
  c.tie_word_embeddings = false;
  c.qkv_bias = true;
  return c;
}

GistLayout random_prompt(const LayoutSettings& settings, int64_t raw, int suffix, uint64_t seed) {
  std::mt19937 rng(seed);
  std::vector<int64_t> tokens(raw);
  for (int64_t& t : tokens) t = rng() % 256;
  GistLayout layout(settings, tokens);
  for (int i = 0; i < suffix; ++i) layout.append(rng() % 256);
  return layout;
}

// Observer that keeps what selective attention reported.
struct Reports : trace::Observer {
  std::vector<trace::Selection> selections;
  std::vector<trace::ChunkScores> scores;
  void on_selection(int64_t, const trace::Selection& s) override { selections.push_back(s); }
  void on_chunk_scores(int64_t, const trace::ChunkScores& s) override { scores.push_back(s); }
};

TEST(DeviceDecodeSession, MatchesDecodeSessionOnARandomModel) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  struct Run {
    const char* hierarchy;
    GqaMode mode;
    Baseline baseline;
    bool generation_gists;
    int64_t head_dim;
    BudgetMode budget = BudgetMode::kFixed;
    int dense_layers = 1;
  };
  const Run runs[] = {
      {"chunk8", GqaMode::kHead, Baseline::kNone, false, 64},
      {"chunk4-chunk4", GqaMode::kHead, Baseline::kNone, true, 128},
      {"chunk4-chunk4", GqaMode::kGroup, Baseline::kNone, false, 64},
      {"chunk8", GqaMode::kIndependent, Baseline::kNone, true, 64},
      {"chunk4-chunk4", GqaMode::kHead, Baseline::kFull, false, 64},
      {"chunk8", GqaMode::kHead, Baseline::kGistOnly, false, 128},
      {"chunk4-chunk4", GqaMode::kHead, Baseline::kNone, false, 64, BudgetMode::kReference, 0},
      {"chunk8", GqaMode::kGroup, Baseline::kNone, true, 64, BudgetMode::kAuto, 2},
  };
  for (const Run& run : runs) {
    LayoutSettings layout = parse_hierarchy(run.hierarchy);
    layout.sink = 3;
    layout.gists_in_generation = run.generation_gists;
    DecoderModel model(small_config(layout.num_levels(), run.head_dim), 5);
    model.to(at::kCUDA, at::kBFloat16);
    DecodeSettings settings;
    settings.selection.k = 3;
    settings.mask.previous_chunks = 1;
    settings.mode = run.mode;
    settings.baseline = run.baseline;
    settings.budget = run.budget;
    settings.dense_layers = run.dense_layers;
    const GistLayout prompt = random_prompt(layout, 1500, 3, 11);
    Reports cpu_reports, gpu_reports;
    DecodeSession reference(model, prompt, settings, &cpu_reports);
    DeviceDecodeSession device(model, prompt, settings, &gpu_reports);
    const std::string what =
        std::string(run.hierarchy) + " mode " + std::to_string(static_cast<int>(run.mode)) + " " +
        baseline_name(run.baseline) + " budget " + budget_mode_name(run.budget) + " dense " +
        std::to_string(run.dense_layers);
    at::Tensor want = reference.prefill(), got = device.prefill();
    ASSERT_LT(relative_error(device.prompt_logits(), reference.prompt_logits()), 2e-2) << what;
    int same_unfolded = 0;
    for (int s = 0; s < 12; ++s) {
      ASSERT_LT(relative_error(got, want), 3e-2) << what << " step " << s;
      same_unfolded += device.last_unfolded_chunks() == reference.last_unfolded_chunks();
      EXPECT_NEAR(device.last_keys_read(), reference.last_keys_read(),
                  0.05 * reference.last_keys_read() + 1)
          << what;
      EXPECT_NEAR(device.last_keys_scored(), reference.last_keys_scored(),
                  0.05 * reference.last_keys_scored() + 1)
          << what;
      EXPECT_EQ(device.last_budget(), reference.last_budget()) << what;
      EXPECT_EQ(device.last_selection().level_k, reference.last_selection().level_k) << what;
      const int64_t token = want.argmax().item<int64_t>() % 256;  // both continue alike
      want = reference.step(token);
      got = device.step(token);
    }
    // The union over every layer and head of a step's unfolded chunks: one
    // near-tie flipped by bf16 anywhere changes it, so half the steps must
    // agree; the per-selection agreement below is the sharper check.
    EXPECT_GE(same_unfolded, 6) << what;
    EXPECT_EQ(device.layout().length(), reference.layout().length()) << what;
    EXPECT_EQ(device.steps(), reference.steps()) << what;
    EXPECT_TRUE(device.graphed()) << what;
    ASSERT_EQ(gpu_reports.selections.size(), cpu_reports.selections.size()) << what;
    int same = 0;
    for (size_t i = 0; i < cpu_reports.selections.size(); ++i) {
      const trace::Selection &g = gpu_reports.selections[i], &c = cpu_reports.selections[i];
      EXPECT_EQ(g.layer, c.layer);
      EXPECT_EQ(g.head, c.head);
      EXPECT_EQ(g.level, c.level);
      same += g.chosen == c.chosen;
    }
    EXPECT_GE(same, static_cast<int>(cpu_reports.selections.size()) * 8 / 10) << what;
  }
}

// Two GPU sessions of one small random model (H-SSA chunk4-chunk4), the
// second with `options`, over the prefill and 6 steps of the same tokens:
// the largest relative difference of their logits, and whether each graphed.
struct SessionPair {
  double largest_difference = 0;
  bool graphed_first = false, graphed_second = false;
  bool fused_first = false, fused_second = false;
};
// With `pack_first`, the first session's model (the same weights) has its
// projections packed (pack_projection_weights: one gate/up GEMM on a view).
SessionPair compare_sessions(int64_t head_dim, const DeviceDecodeOptions& options,
                             bool pack_first = false) {
  LayoutSettings layout = parse_hierarchy("chunk4-chunk4");
  DecoderModel model(small_config(2, head_dim), 9), packed(small_config(2, head_dim), 9);
  model.to(at::kCUDA, at::kBFloat16);
  if (pack_first) {
    packed.to(at::kCUDA, at::kBFloat16);
    pack_projection_weights(packed);
  }
  DecodeSettings settings;
  settings.selection.k = 4;
  settings.mask.previous_chunks = 1;
  const GistLayout prompt = random_prompt(layout, 900, 2, 4);
  DeviceDecodeSession first(pack_first ? packed : model, prompt, settings),
      second(model, prompt, settings, nullptr, options);
  SessionPair pair;
  at::Tensor a = first.prefill(), b = second.prefill();
  for (int s = 0; s < 6; ++s) {
    pair.largest_difference = std::max(pair.largest_difference, relative_error(a, b));
    a = first.step(40 + s);
    b = second.step(40 + s);
  }
  pair.largest_difference = std::max(pair.largest_difference, relative_error(a, b));
  pair.graphed_first = first.graphed();
  pair.graphed_second = second.graphed();
  pair.fused_first = first.fused();
  pair.fused_second = second.fused();
  return pair;
}

TEST(DeviceDecoder, GraphReplayEqualsEagerSteps) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  DeviceDecodeOptions eager;
  eager.use_graph = false;
  const SessionPair pair = compare_sessions(128, eager);
  // The same kernels and the same cuBLAS calls, replayed: equal up to a
  // library choosing another algorithm under capture.
  EXPECT_LT(pair.largest_difference, 1e-3);
  EXPECT_TRUE(pair.graphed_first);
  EXPECT_FALSE(pair.graphed_second);
}

TEST(DeviceStepOps, MatchTheCpuReference) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  testing::check_step_ops(at::kCUDA);
}

TEST(DeviceDecoder, FusedOpsMatchTheOpChains) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  DeviceDecodeOptions chains;
  chains.fused_ops = false;
  for (const int64_t head_dim : {int64_t{64}, int64_t{128}}) {
    const SessionPair pair = compare_sessions(head_dim, chains);
    // The same rounding everywhere but RMSNorm's sum order and the q/k/v
    // GEMM's shape (cuBLAS may sum in another order): bf16 noise only.
    EXPECT_LT(pair.largest_difference, 2e-2) << "head_dim " << head_dim;
    EXPECT_TRUE(pair.graphed_first && pair.graphed_second) << "head_dim " << head_dim;
    // Else both sessions ran the chains and the comparison proves nothing.
    EXPECT_TRUE(pair.fused_first && !pair.fused_second) << "head_dim " << head_dim;
  }
}

TEST(DeviceDecoder, PackedProjectionsMatchUnpacked) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  const SessionPair pair = compare_sessions(128, DeviceDecodeOptions{}, /*pack_first=*/true);
  // One [gate; up] GEMM against two: cuBLAS may sum in another order.
  EXPECT_LT(pair.largest_difference, 2e-2);
  EXPECT_TRUE(pair.fused_first && pair.fused_second);
}

// A small case for compute-sanitizer (memcheck, racecheck): both versions,
// H-SSA, every mode, top-p once, two sequences.
TEST(KernelSanitizer, SmallCase) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  for (int version = 1; version <= 2; ++version) {
    for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
      LayerCase c;
      c.layout = parse_hierarchy("chunk4-chunk2");
      c.layout.sink = 3;
      c.mask.previous_chunks = 1;
      c.raw = 700;
      c.batch = 2;
      c.kv_heads = 2;
      c.group = 3;
      c.head_dim = 64;
      c.mode = mode;
      c.select.k = 3;
      c.select.top_p = mode == GqaMode::kGroup ? 0.7 : 0;
      Agreement agreement;
      check_layer_case(c, version, 17, &agreement);
      // The two-pass kernels too (top-p falls back to the slices' path).
      check_layer_case(c, version, 17, &agreement, false, true, true, /*two_pass=*/true);
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace ssa
