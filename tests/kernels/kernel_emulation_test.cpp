// The decode kernels themselves (kernels/*.cu compiled for the CPU emulator,
// cuda_emulation.h) against the CPU reference, on small random cases: every
// GQA mode, budgets and top-p, H-SSA descent, generation gists, batches,
// both kernel versions, the three key sources, the KV append. Workspaces are
// poisoned (-1, NaN) before each run. Runs everywhere (no GPU, no nvcc);
// slow, since every thread is a fiber, so the cases stay small.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "engine/decode/baselines.h"
#include "engine/decode/device_plan.h"
#include "tests/kernels/layer_cases.h"

// The emulation's types before the kernels' headers: they then leave CUDA out.
#include "tests/kernels/cuda_emulation_types.h"

#include "kernels/gist_selection.h"
#include "kernels/kv_append.h"
#include "kernels/sparse_attention.h"

namespace ssa {
namespace {

using testing::LayerCase;
using testing::Stream;

constexpr uint16_t kNanBf16 = 0x7FC0;

std::vector<uint16_t> bf16_bits(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kBFloat16).contiguous();
  std::vector<uint16_t> bits(c.numel());
  std::memcpy(bits.data(), c.data_ptr(), bits.size() * sizeof(uint16_t));
  return bits;
}

int32_t mode_of(GqaMode mode) {
  return mode == GqaMode::kGroup         ? kernels::kGroupUnits
         : mode == GqaMode::kIndependent ? kernels::kIndependentUnits
                                         : kernels::kHeadUnits;
}

// DeviceAttention's workspaces, as host vectors: the kernels' pointers are
// plain addresses in the emulator.
struct EmulatedLayer {
  LayerCase c;
  Stream s;
  WorkspacePlan plan;
  int64_t B, H, Hkv, G, D, L, capacity;
  std::vector<int64_t> gist_cap;
  at::Tensor q, keys, values;  // bf16 on the CPU
  std::vector<uint16_t> q_bits, key_cache, value_cache;
  std::vector<std::vector<uint16_t>> gist_keys;
  std::vector<kernels::SequenceStep> steps;
  std::vector<std::vector<int32_t>> gist_position, child_begin, candidates, candidate_count;
  std::vector<std::vector<uint32_t>> candidate_units;
  std::vector<int32_t> chunk_begin, row;
  std::vector<uint64_t> partial_keys, sort_scratch;
  std::vector<int32_t> partial_count, partial_valid, visible, visible_count, scan_scratch;
  std::vector<uint32_t> counters, attend_counters;
  std::vector<std::vector<int32_t>> chosen, chosen_count;
  std::vector<std::vector<float>> scores;
  std::vector<uint16_t> attend_values;
  std::vector<float> attend_stats, out;
  bool merge_in_shared = true;
  int32_t errors = 0;

  EmulatedLayer(const LayerCase& lc, uint64_t seed) : c(lc), s(testing::make_stream(lc)) {
    B = c.batch, Hkv = c.kv_heads, G = c.group, H = Hkv * G, D = c.head_dim;
    L = s.layout.length();
    capacity = L + 7;  // a poisoned tail past the stream
    gist_cap = testing::gist_capacity(s);
    std::vector<int64_t> group_sizes(c.layout.group_sizes.begin(), c.layout.group_sizes.end());
    plan =
        plan_workspace(group_sizes, gist_cap, capacity, testing::max_chunk(c, s), mode_of(c.mode),
                       static_cast<int32_t>(G), c.select.top_p > 0, c.select.k, 48);
    at::manual_seed(seed);
    q = at::randn({B, H, D}).to(at::kBFloat16);
    keys = at::randn({B, Hkv, L, D}).to(at::kBFloat16);
    values = at::randn({B, Hkv, L, D}).to(at::kBFloat16);
    q_bits = bf16_bits(q);
    key_cache.assign(B * Hkv * capacity * D, kNanBf16);
    value_cache.assign(B * Hkv * capacity * D, kNanBf16);
    const std::vector<uint16_t> k = bf16_bits(keys), v = bf16_bits(values);
    for (int64_t bg = 0; bg < B * Hkv; ++bg) {
      std::memcpy(&key_cache[bg * capacity * D], &k[bg * L * D], L * D * 2);
      std::memcpy(&value_cache[bg * capacity * D], &v[bg * L * D], L * D * 2);
    }
    const HierarchyArrays a = hierarchy_arrays(s.hierarchy);
    const int levels = s.hierarchy.num_levels();
    for (int l = 0; l < levels; ++l) {
      gist_keys.emplace_back(B * Hkv * gist_cap[l] * D, kNanBf16);
      for (int64_t bg = 0; bg < B * Hkv; ++bg) {
        for (int64_t j = 0; j < s.hierarchy.count(l); ++j) {
          std::memcpy(&gist_keys[l][(bg * gist_cap[l] + j) * D],
                      &key_cache[(bg * capacity + s.hierarchy.gists(l)[j]) * D], D * 2);
        }
      }
      gist_position.emplace_back(B * gist_cap[l], -1);
      child_begin.emplace_back(B * (gist_cap[l] + 1), -1);
      for (int64_t b = 0; b < B; ++b) {
        std::copy(a.gist_position[l].begin(), a.gist_position[l].end(),
                  gist_position[l].begin() + b * gist_cap[l]);
        std::copy(a.child_begin[l].begin(), a.child_begin[l].end(),
                  child_begin[l].begin() + b * (gist_cap[l] + 1));
      }
      candidates.emplace_back(B * Hkv * plan.candidate_capacity[l], -1);
      candidate_units.emplace_back(B * Hkv * plan.candidate_capacity[l], 0xFFFFFFFFu);
      candidate_count.emplace_back(B * Hkv, -1);
      chosen.emplace_back(B * Hkv * plan.units_per_group * plan.chosen_capacity[l], -1);
      chosen_count.emplace_back(B * Hkv * plan.units_per_group, -1);
      scores.emplace_back(B * Hkv * plan.units_per_group * plan.candidate_capacity[l], NAN);
    }
    chunk_begin.assign(B * gist_cap[0], -1);
    for (int64_t b = 0; b < B; ++b)
      std::copy(a.chunk_begin.begin(), a.chunk_begin.end(), chunk_begin.begin() + b * gist_cap[0]);
    const std::vector<int64_t> row_gists =
        training_row_gists(s.layout, s.hierarchy, c.mask, s.query);
    row.assign(B * plan.row_capacity, -1);
    for (int64_t b = 0; b < B; ++b)
      std::copy(row_gists.begin(), row_gists.end(), row.begin() + b * plan.row_capacity);
    const std::vector<int> budgets(levels, c.select.k);
    steps.assign(B, sequence_step(s.layout, s.hierarchy, c.mask, s.query, budgets,
                                  static_cast<int64_t>(row_gists.size())));
    const int64_t U = plan.units_per_group, A = plan.attention_units_per_group;
    partial_keys.assign(B * Hkv * plan.max_slices * U * plan.partial_capacity, ~0ull);
    partial_count.assign(B * Hkv * plan.max_slices * U, -1);
    partial_valid.assign(B * Hkv * plan.max_slices * U, -1);
    counters.assign(kernels::kMaxLevels * B * Hkv, 0);
    visible.assign(B * Hkv * A * plan.visible_capacity, -1);
    visible_count.assign(B * Hkv * A, -1);
    sort_scratch.assign(B * Hkv * 2 * plan.sort_capacity, ~0ull);
    scan_scratch.assign(B * Hkv * plan.sort_capacity, -1);
    attend_counters.assign(B * Hkv * A, 0);
    const int64_t splits = std::max({plan.attention_splits(kernels::kSelectedKeys),
                                     plan.attention_splits(kernels::kTrainingRow),
                                     plan.attention_splits(kernels::kAllKeys)});
    attend_values.assign(B * Hkv * A * splits * 16 * D, 0x7E00);  // fp16 NaN
    attend_stats.assign(B * Hkv * A * splits * 16 * 2, NAN);
  }

  void select(int version) {
    kernels::SelectionParams p;
    p.batch = static_cast<int32_t>(B);
    p.kv_heads = static_cast<int32_t>(Hkv);
    p.group_size = static_cast<int32_t>(G);
    p.head_dim = static_cast<int32_t>(D);
    p.num_levels = s.hierarchy.num_levels();
    p.mode = mode_of(c.mode);
    p.quarter_cap = c.select.quarter_cap;
    p.top_p = static_cast<float>(c.select.top_p);
    p.q = q_bits.data();
    p.steps = steps.data();
    for (int l = 0; l < p.num_levels; ++l) {
      p.hierarchy.gist_position[l] = gist_position[l].data();
      p.hierarchy.child_begin[l] = child_begin[l].data();
      p.hierarchy.gist_capacity[l] = static_cast<int32_t>(gist_cap[l]);
      p.gist_keys[l] = gist_keys[l].data();
      p.candidates[l] = candidates[l].data();
      p.candidate_units[l] = candidate_units[l].data();
      p.candidate_count[l] = candidate_count[l].data();
      p.candidate_capacity[l] = plan.candidate_capacity[l];
      p.slices[l] = plan.slices[l];
      p.chosen[l] = chosen[l].data();
      p.chosen_count[l] = chosen_count[l].data();
      p.chosen_capacity[l] = plan.chosen_capacity[l];
      p.scores[l] = scores[l].data();
    }
    p.hierarchy.chunk_begin = chunk_begin.data();
    p.partial_keys = partial_keys.data();
    p.partial_count = partial_count.data();
    p.partial_valid = partial_valid.data();
    p.partial_capacity = plan.partial_capacity;
    p.max_slices = plan.max_slices;
    const int64_t merge =
        kernels::merge_shared_bytes(plan.max_slices, plan.units_per_group, plan.partial_capacity);
    p.merge_shared_bytes =
        merge_in_shared && merge <= kernels::kMaxMergeSharedBytes ? static_cast<int32_t>(merge) : 0;
    p.counters = counters.data();
    p.visible = visible.data();
    p.visible_count = visible_count.data();
    p.visible_capacity = plan.visible_capacity;
    p.sort_scratch = sort_scratch.data();
    p.scan_scratch = scan_scratch.data();
    p.sort_capacity = plan.sort_capacity;
    p.errors = &errors;
    kernels::launch_gist_selection(p, version, nullptr);
  }

  void attend(int32_t source, int version) {
    kernels::AttendParams p;
    p.batch = static_cast<int32_t>(B);
    p.kv_heads = static_cast<int32_t>(Hkv);
    p.group_size = static_cast<int32_t>(G);
    p.head_dim = static_cast<int32_t>(D);
    p.mode = source == kernels::kSelectedKeys ? mode_of(c.mode) : kernels::kHeadUnits;
    p.source = source;
    p.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    p.q = q_bits.data();
    p.steps = steps.data();
    p.keys = key_cache.data();
    p.values = value_cache.data();
    p.capacity = capacity;
    if (source == kernels::kSelectedKeys) {
      p.list = visible.data();
      p.list_count = visible_count.data();
      p.list_capacity = plan.visible_capacity;
    } else if (source == kernels::kTrainingRow) {
      p.list = row.data();
      p.list_capacity = static_cast<int32_t>(plan.row_capacity);
    }
    p.splits = plan.attention_splits(source);
    p.partial_values = attend_values.data();
    p.partial_stats = attend_stats.data();
    p.counters = attend_counters.data();
    out.assign(B * H * D, NAN);
    p.out = out.data();
    p.errors = &errors;
    kernels::launch_sparse_attention(p, version, nullptr);
  }

  std::vector<std::vector<LevelChoice>> choices(int64_t b) const {
    const int64_t units = Hkv * plan.units_per_group;
    std::vector<LevelBuffers> levels;
    for (int l = 0; l < s.hierarchy.num_levels(); ++l) {
      LevelBuffers lb;
      lb.chosen = chosen[l].data() + b * units * plan.chosen_capacity[l];
      lb.chosen_capacity = plan.chosen_capacity[l];
      lb.count = chosen_count[l].data() + b * units;
      lb.scores = scores[l].data() + b * units * plan.candidate_capacity[l];
      lb.score_capacity = plan.candidate_capacity[l];
      levels.push_back(lb);
    }
    return choices_from_buffers(s.hierarchy, Hkv, plan.units_per_group, levels);
  }

  at::Tensor output(int64_t b) const {
    return at::from_blob(const_cast<float*>(out.data()) + b * H * D, {H, D}, at::kFloat).clone();
  }
};

void check_selection(const LayerCase& c, int version, uint64_t seed, testing::Agreement* agreement,
                     bool merge_in_shared = true) {
  EmulatedLayer e(c, seed);
  e.merge_in_shared = merge_in_shared;
  e.select(version);
  e.attend(kernels::kSelectedKeys, version);
  const std::string what = testing::describe(c, version);
  ASSERT_EQ(e.errors, 0) << what;
  for (int64_t b = 0; b < c.batch; ++b) {
    const SelectiveAttentionResult ref = selective_attention(
        e.q[b].to(at::kDouble), e.keys[b].to(at::kDouble), e.values[b].to(at::kDouble), e.s.layout,
        e.s.hierarchy, c.mask, e.s.query, c.select, c.mode);
    const std::vector<bool> diverged =
        testing::compare_choices(e.choices(b), ref, c.select, what, agreement);
    const at::Tensor got = e.output(b);
    for (int64_t h = 0; h < e.H; ++h) {
      if (!testing::head_comparable(c, diverged, h)) continue;
      EXPECT_LT(testing::relative_error(got[h], ref.output[h]), version == 1 ? 2e-3 : 1e-2)
          << what << " sequence " << b << " head " << h;
    }
  }
}

TEST(EmulatedKernels, SelectionMatchesTheCpuReference) {
  std::mt19937 rng(2024);
  for (int version = 1; version <= 2; ++version) {
    testing::Agreement agreement;
    for (int trial = 0; trial < 14; ++trial) {
      LayerCase c = testing::random_layer_case(rng, 900, false);
      c.batch = std::min<int64_t>(c.batch, 2);
      check_selection(c, version, 100 + trial, &agreement, trial % 3 != 0);
      if (HasFailure()) return;
    }
    EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << "version " << version;
  }
}

TEST(EmulatedKernels, QwenShapedHeadsEveryMode) {
  // 7 query heads per KV head, d 128, sink 3, p 1, as the Qwen2-7B layer.
  for (const char* hierarchy : {"chunk16", "chunk4-chunk4"}) {
    for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
      const LayerCase c = testing::qwen_layer_case(hierarchy, mode, 1400, 2, 1);
      testing::Agreement agreement;
      check_selection(c, 2, 5, &agreement);
      if (HasFailure()) return;
      EXPECT_GE(agreement.compared, agreement.units * 8 / 10) << hierarchy;
    }
  }
}

TEST(EmulatedKernels, TopPAndLargeBudgets) {
  for (double top_p : {0.0, 0.5, 0.9}) {
    for (int k : {1, 300}) {
      LayerCase c;
      c.layout = parse_hierarchy("chunk2-chunk3");
      c.mask.previous_chunks = 1;
      c.raw = 1100;  // > one slice of candidates at level 0
      c.kv_heads = 1;
      c.group = 3;
      c.head_dim = 64;
      c.mode = GqaMode::kHead;
      c.select.k = k;
      c.select.quarter_cap = false;
      c.select.top_p = top_p;
      testing::Agreement agreement;
      for (int version = 1; version <= 2; ++version)
        check_selection(c, version, 40 + k, &agreement);
      if (HasFailure()) return;
    }
  }
}

TEST(EmulatedKernels, AllKeysAndTrainingRowMatchTheCpu) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 8; ++trial) {
    LayerCase c = testing::random_layer_case(rng, 700, false);
    for (int version = 1; version <= 2; ++version) {
      EmulatedLayer e(c, 60 + trial);
      for (int32_t source : {kernels::kAllKeys, kernels::kTrainingRow}) {
        e.attend(source, version);
        ASSERT_EQ(e.errors, 0);
        for (int64_t b = 0; b < c.batch; ++b) {
          const at::Tensor want = testing::reference_unselected(
              source == kernels::kAllKeys, e.q[b].to(at::kDouble), e.keys[b].to(at::kDouble),
              e.values[b].to(at::kDouble), c, e.s);
          EXPECT_LT(testing::relative_error(e.output(b), want), version == 1 ? 2e-3 : 1e-2)
              << testing::describe(c, version) << " source " << source;
        }
      }
    }
  }
}

TEST(EmulatedKernels, AppendWritesTheCacheAndTheGistKey) {
  const int64_t B = 2, Hkv = 3, D = 64, capacity = 40, gists = 9;
  std::vector<uint16_t> keys(B * Hkv * capacity * D, 0), values = keys;
  std::vector<uint16_t> gist_keys(B * Hkv * gists * D, 0);
  std::vector<uint16_t> k_new(B * Hkv * D), v_new(B * Hkv * D);
  for (size_t i = 0; i < k_new.size(); ++i)
    k_new[i] = static_cast<uint16_t>(i + 1), v_new[i] = static_cast<uint16_t>(7 * i + 3);
  std::vector<kernels::SequenceStep> steps(B);
  steps[0].query = 17;
  steps[1].query = 23;
  steps[1].append_level = 0;
  steps[1].append_index = 5;
  kernels::AppendParams p;
  p.batch = B;
  p.kv_heads = Hkv;
  p.head_dim = D;
  p.steps = steps.data();
  p.k_new = k_new.data();
  p.v_new = v_new.data();
  p.keys = keys.data();
  p.values = values.data();
  p.capacity = capacity;
  p.gist_keys[0] = gist_keys.data();
  p.gist_capacity[0] = gists;
  kernels::launch_kv_append(p, nullptr);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t g = 0; g < Hkv; ++g) {
      for (int64_t d = 0; d < D; ++d) {
        const int64_t src = (b * Hkv + g) * D + d;
        const int64_t dst = ((b * Hkv + g) * capacity + steps[b].query) * D + d;
        ASSERT_EQ(keys[dst], k_new[src]);
        ASSERT_EQ(values[dst], v_new[src]);
        ASSERT_EQ(gist_keys[((b * Hkv + g) * gists + 5) * D + d], b == 1 ? k_new[src] : 0);
      }
    }
  }
  int64_t written = 0;
  for (uint16_t x : keys) written += x != 0;
  EXPECT_EQ(written, B * Hkv * D);  // nothing else
}

}  // namespace
}  // namespace ssa
