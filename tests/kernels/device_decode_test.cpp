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

#include "engine/decode/decode_session.h"
#include "engine/decode/device_attention.h"
#include "engine/decode/device_decode_session.h"
#include "engine/decode/device_decoder.h"
#include "engine/decode/device_plan.h"
#include "engine/decode/selective_attention.h"
#include "kernels/cuda_check.h"
#include "tests/engine/layout_names.h"
#include "tests/kernels/layer_cases.h"

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

DeviceDecodeShape shape_for(const LayerCase& c, const Stream& s) {
  DeviceDecodeShape shape;
  shape.batch = c.batch;
  shape.heads = c.kv_heads * c.group;
  shape.kv_heads = c.kv_heads;
  shape.head_dim = c.head_dim;
  for (int g : c.layout.group_sizes) shape.group_sizes.push_back(g);
  shape.kv_capacity = s.layout.length() + 7;  // a poisoned tail past the stream
  shape.gist_capacity = testing::gist_capacity(s);
  shape.max_chunk = testing::max_chunk(c, s);
  return shape;
}

// Random bf16 data of the batch, and the same values in float64 for the CPU.
struct LayerData {
  at::Tensor q, keys, values;  // bf16 on the GPU: [B, H, D], [B, Hkv, L, D]
};

LayerData random_data(const LayerCase& c, int64_t length, uint64_t seed) {
  at::manual_seed(seed);
  const auto f = at::TensorOptions(at::kFloat);
  LayerData d;
  d.q = at::randn({c.batch, c.kv_heads * c.group, c.head_dim}, f).to(at::kBFloat16).to(at::kCUDA);
  d.keys = at::randn({c.batch, c.kv_heads, length, c.head_dim}, f).to(at::kBFloat16).to(at::kCUDA);
  d.values =
      at::randn({c.batch, c.kv_heads, length, c.head_dim}, f).to(at::kBFloat16).to(at::kCUDA);
  return d;
}

// The cache as a decode session leaves it, NaN past the stream.
DeviceLayerCache filled_cache(const DeviceAttention& a, const LayerData& d,
                              const GistHierarchy& h) {
  DeviceLayerCache cache = a.make_cache();
  const int64_t L = d.keys.size(2);
  cache.keys.fill_(NAN);
  cache.values.fill_(NAN);
  cache.keys.narrow(2, 0, L).copy_(d.keys);
  cache.values.narrow(2, 0, L).copy_(d.values);
  for (int level = 0; level < h.num_levels(); ++level) {
    cache.gist_keys[level].fill_(NAN);
    if (h.count(level) == 0) continue;
    const at::Tensor index = at::tensor(h.gists(level), at::TensorOptions(at::kLong)).to(at::kCUDA);
    cache.gist_keys[level].narrow(2, 0, h.count(level)).copy_(d.keys.index_select(2, index));
  }
  return cache;
}

// One case on the device vs selective_attention per sequence.
void check_layer_case(const LayerCase& c, int version, uint64_t seed, Agreement* agreement) {
  const Stream s = testing::make_stream(c);
  const LayerData d = random_data(c, s.layout.length(), seed);
  DeviceSelectionSettings settings;
  settings.mode = c.mode;
  settings.quarter_cap = c.select.quarter_cap;
  settings.top_p = c.select.top_p;
  settings.k_max = c.select.k;
  settings.version = version;
  settings.record_scores = true;
  DeviceAttention a(shape_for(c, s), settings, at::kCUDA);
  a.poison();
  const DeviceLayerCache cache = filled_cache(a, d, s.hierarchy);
  const cudaStream_t stream = nullptr;
  const std::vector<int> budgets(s.layout.num_levels(), c.select.k);
  for (int64_t b = 0; b < c.batch; ++b) {
    a.set_hierarchy(b, s.hierarchy, stream);
    a.set_step(b, sequence_step(s.layout, s.hierarchy, c.mask, s.query, budgets, 0));
  }
  a.upload_steps(stream);
  a.clear_errors();
  const at::Tensor out = at::full({c.batch, c.kv_heads * c.group, c.head_dim}, NAN,
                                  at::TensorOptions(at::kFloat).device(at::kCUDA));
  a.attend(0, d.q, cache, kernels::kSelectedKeys, out, stream, 0, true);
  CUDA_CHECK(cudaDeviceSynchronize());
  ASSERT_EQ(a.errors(), 0) << testing::describe(c, version);
  const std::string what = testing::describe(c, version);
  for (int64_t b = 0; b < c.batch; ++b) {
    const at::Tensor qb = d.q[b].to(at::kDouble).cpu();
    const at::Tensor kb = d.keys[b].to(at::kDouble).cpu(), vb = d.values[b].to(at::kDouble).cpu();
    const SelectiveAttentionResult ref =
        selective_attention(qb, kb, vb, s.layout, s.hierarchy, c.mask, s.query, c.select, c.mode);
    const std::vector<bool> diverged = testing::compare_choices(
        a.choices(0, 0, b, s.hierarchy, true), ref, c.select, what, agreement);
    for (int64_t h = 0; h < c.kv_heads * c.group; ++h) {
      if (!testing::head_comparable(c, diverged, h)) continue;
      EXPECT_LT(relative_error(out[b][h], ref.output[h]), version == 1 ? 2e-3 : 1e-2)
          << what << " sequence " << b << " head " << h;
    }
  }
}

TEST(DeviceSelection, MatchesTheCpuReferenceOnRandomCases) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  std::mt19937 rng(1301);
  for (int version = 1; version <= 2; ++version) {
    Agreement agreement;
    for (int trial = 0; trial < 50; ++trial) {
      const LayerCase c = testing::random_layer_case(rng);
      check_layer_case(c, version, 7000 + trial, &agreement);
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
        check_layer_case(c, version, 99, &agreement);
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
      level_budgets(BudgetMode::kReference, c.select.k, s.query + 1, c.layout, 4);
  ASSERT_NE(budgets[0], budgets[2]);
  for (int version = 1; version <= 2; ++version) {
    const LayerData d = random_data(c, s.layout.length(), 5);
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
    const Stream s = testing::make_stream(c);
    const LayerData d = random_data(c, s.layout.length(), 300 + trial);
    for (int version = 1; version <= 2; ++version) {
      DeviceSelectionSettings settings;
      settings.mode = c.mode;
      settings.version = version;
      settings.keys_per_split = trial % 2 ? 64 : 1024;
      DeviceAttention a(shape_for(c, s), settings, at::kCUDA);
      a.poison();
      const DeviceLayerCache cache = filled_cache(a, d, s.hierarchy);
      const std::vector<int64_t> row = training_row_gists(s.layout, s.hierarchy, c.mask, s.query);
      for (int64_t b = 0; b < c.batch; ++b) {
        a.set_hierarchy(b, s.hierarchy, nullptr);
        a.set_training_row(b, row, nullptr);
        a.set_step(b, sequence_step(s.layout, s.hierarchy, c.mask, s.query,
                                    std::vector<int>(s.layout.num_levels(), 1), row.size()));
      }
      a.upload_steps(nullptr);
      for (kernels::KeySource source : {kernels::kAllKeys, kernels::kTrainingRow}) {
        const at::Tensor out = at::full({c.batch, c.kv_heads * c.group, c.head_dim}, NAN,
                                        at::TensorOptions(at::kFloat).device(at::kCUDA));
        a.attend(0, d.q, cache, source, out, nullptr);
        CUDA_CHECK(cudaDeviceSynchronize());
        ASSERT_EQ(a.errors(), 0);
        for (int64_t b = 0; b < c.batch; ++b) {
          const at::Tensor want = testing::reference_unselected(
              source == kernels::kAllKeys, d.q[b].to(at::kDouble).cpu(),
              d.keys[b].to(at::kDouble).cpu(), d.values[b].to(at::kDouble).cpu(), c, s);
          ASSERT_LT(relative_error(out[b], want), version == 1 ? 2e-3 : 1e-2)
              << testing::describe(c, version) << " source " << source << " sequence " << b;
        }
      }
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
  };
  const Run runs[] = {
      {"chunk8", GqaMode::kHead, Baseline::kNone, false, 64},
      {"chunk4-chunk4", GqaMode::kHead, Baseline::kNone, true, 128},
      {"chunk4-chunk4", GqaMode::kGroup, Baseline::kNone, false, 64},
      {"chunk8", GqaMode::kIndependent, Baseline::kNone, true, 64},
      {"chunk4-chunk4", GqaMode::kHead, Baseline::kFull, false, 64},
      {"chunk8", GqaMode::kHead, Baseline::kGistOnly, false, 128},
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
    const GistLayout prompt = random_prompt(layout, 1500, 3, 11);
    Reports cpu_reports, gpu_reports;
    DecodeSession reference(model, prompt, settings, &cpu_reports);
    DeviceDecodeSession device(model, prompt, settings, &gpu_reports);
    const std::string what = std::string(run.hierarchy) + " mode " +
                             std::to_string(static_cast<int>(run.mode)) + " " +
                             baseline_name(run.baseline);
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
      EXPECT_EQ(device.last_budget(), reference.last_budget());
      const int64_t token = want.argmax().item<int64_t>() % 256;  // both continue alike
      want = reference.step(token);
      got = device.step(token);
    }
    EXPECT_GE(same_unfolded, 10) << what;
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

TEST(DeviceDecoder, GraphReplayEqualsEagerSteps) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  LayoutSettings layout = parse_hierarchy("chunk4-chunk4");
  DecoderModel model(small_config(2, 128), 9);
  model.to(at::kCUDA, at::kBFloat16);
  DecodeSettings settings;
  settings.selection.k = 4;
  settings.mask.previous_chunks = 1;
  const GistLayout prompt = random_prompt(layout, 900, 2, 4);
  DeviceDecodeOptions eager;
  eager.use_graph = false;
  DeviceDecodeSession graphed(model, prompt, settings),
      plain(model, prompt, settings, nullptr, eager);
  at::Tensor a = graphed.prefill(), b = plain.prefill();
  for (int s = 0; s < 6; ++s) {
    ASSERT_TRUE(at::equal(a, b)) << "step " << s;
    a = graphed.step(40 + s);
    b = plain.step(40 + s);
  }
  EXPECT_TRUE(graphed.graphed());
  EXPECT_FALSE(plain.graphed());
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
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace ssa
