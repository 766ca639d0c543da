// One layer through DeviceAttention against the CPU reference, on a device
// given: the GPU (device_decode_test.cpp) or the CPU with the emulated
// kernels (kernel_emulation_test.cpp, CPU tensors as "device" memory).
// Caches and workspaces are poisoned (NaN, -1) first.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/decode/device_attention.h"
#include "engine/decode/device_plan.h"
#include "tests/kernels/layer_cases.h"

namespace ssa::testing {

inline DeviceDecodeShape shape_for(const LayerCase& c, const Stream& s) {
  DeviceDecodeShape shape;
  shape.batch = c.batch;
  shape.heads = c.kv_heads * c.group;
  shape.kv_heads = c.kv_heads;
  shape.head_dim = c.head_dim;
  for (int g : c.layout.group_sizes) shape.group_sizes.push_back(g);
  shape.kv_capacity = s.layout.length() + 7;  // a poisoned tail past the stream
  shape.gist_capacity = gist_capacity(s);
  shape.max_chunk = max_chunk(c, s);
  return shape;
}

// Random bf16 queries, keys and values of the batch on `device`:
// [B, H, D], [B, Hkv, L, D].
struct LayerData {
  at::Tensor q, keys, values;
};
inline LayerData random_data(const LayerCase& c, int64_t length, uint64_t seed,
                             c10::Device device) {
  at::manual_seed(seed);
  const auto f = at::TensorOptions(at::kFloat);
  LayerData d;
  d.q = at::randn({c.batch, c.kv_heads * c.group, c.head_dim}, f).to(at::kBFloat16).to(device);
  d.keys = at::randn({c.batch, c.kv_heads, length, c.head_dim}, f).to(at::kBFloat16).to(device);
  d.values = at::randn({c.batch, c.kv_heads, length, c.head_dim}, f).to(at::kBFloat16).to(device);
  return d;
}

// The cache as a decode session leaves it, NaN past the stream.
inline DeviceLayerCache filled_cache(const DeviceAttention& a, const LayerData& d,
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
    const at::Tensor index =
        at::tensor(h.gists(level), at::TensorOptions(at::kLong)).to(d.keys.device());
    cache.gist_keys[level].narrow(2, 0, h.count(level)).copy_(d.keys.index_select(2, index));
  }
  return cache;
}

struct LayerRun {
  c10::Device device = at::kCUDA;
  int version = 2;
  bool merge_in_shared = true;
  bool overlap_launches = false;
  bool register_top_k = true;
  bool pivot_top_k = true;    // with register_top_k: the pivot, not the arg-max rounds
  bool two_pass = true;       // with register_top_k: the two-pass selection where it applies
  bool record_scores = true;  // false: the two-pass selection scores into its workspace
  uint64_t seed = 1;
};

// Selection and attention of case `c` vs selective_attention per sequence.
inline void check_selection(const LayerCase& c, const LayerRun& run, Agreement* agreement) {
  const Stream s = make_stream(c);
  const LayerData d = random_data(c, s.layout.length(), run.seed, run.device);
  DeviceSelectionSettings settings;
  settings.mode = c.mode;
  settings.quarter_cap = c.select.quarter_cap;
  settings.top_p = c.select.top_p;
  settings.k_max = c.select.k;
  settings.version = run.version;
  settings.record_scores = run.record_scores;
  settings.merge_in_shared = run.merge_in_shared;
  settings.overlap_launches = run.overlap_launches;
  settings.register_top_k = run.register_top_k;
  settings.pivot_top_k = run.pivot_top_k;
  settings.two_pass_selection = run.two_pass;
  settings.keys_per_split = 48;
  DeviceAttention a(shape_for(c, s), settings, run.device);
  a.poison();
  const DeviceLayerCache cache = filled_cache(a, d, s.hierarchy);
  const std::vector<int> budgets(s.layout.num_levels(), c.select.k);
  for (int64_t b = 0; b < c.batch; ++b) {
    a.set_hierarchy(b, s.hierarchy, nullptr);
    a.set_step(b, sequence_step(s.layout, s.hierarchy, c.mask, s.query, budgets, 0));
  }
  a.upload_steps(nullptr);
  a.clear_errors();
  const at::Tensor out = at::full({c.batch, c.kv_heads * c.group, c.head_dim}, NAN,
                                  at::TensorOptions(at::kFloat).device(run.device));
  a.attend(0, d.q, cache, kernels::kSelectedKeys, out, nullptr, 0, run.record_scores);
  const std::string what = describe(c, run.version);
  ASSERT_EQ(a.errors(), 0) << what;
  for (int64_t b = 0; b < c.batch; ++b) {
    const SelectiveAttentionResult ref =
        selective_attention(d.q[b].to(at::kDouble).cpu(), d.keys[b].to(at::kDouble).cpu(),
                            d.values[b].to(at::kDouble).cpu(), s.layout, s.hierarchy, c.mask,
                            s.query, c.select, c.mode);
    std::vector<std::vector<LevelChoice>> got = a.choices(0, 0, b, s.hierarchy, run.record_scores);
    if (!run.record_scores)  // none kept: device_choices' placeholders, not to compare
      for (auto& unit : got)
        for (LevelChoice& level : unit) level.scores.clear();
    const std::vector<bool> diverged = compare_choices(got, ref, c.select, what, agreement);
    for (int64_t h = 0; h < c.kv_heads * c.group; ++h) {
      if (!head_comparable(c, diverged, h)) continue;
      EXPECT_LT(relative_error(out[b][h], ref.output[h]), run.version == 1 ? 2e-3 : 1e-2)
          << what << " sequence " << b << " head " << h;
    }
  }
}

// All keys and the training row (the dense sources) vs the CPU reference.
inline void check_unselected(const LayerCase& c, const LayerRun& run, int keys_per_split) {
  const Stream s = make_stream(c);
  const LayerData d = random_data(c, s.layout.length(), run.seed, run.device);
  DeviceSelectionSettings settings;
  settings.mode = c.mode;
  settings.version = run.version;
  settings.keys_per_split = keys_per_split;
  DeviceAttention a(shape_for(c, s), settings, run.device);
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
                                    at::TensorOptions(at::kFloat).device(run.device));
    a.attend(0, d.q, cache, source, out, nullptr);
    ASSERT_EQ(a.errors(), 0);
    // Into bf16 (the fused decode step's o projection input): the same
    // result, rounded as LibTorch rounds it.
    const at::Tensor rounded = at::full_like(out, NAN, out.options().dtype(at::kBFloat16));
    a.attend(0, d.q, cache, source, rounded, nullptr);
    EXPECT_TRUE(at::equal(rounded.cpu(), out.to(at::kBFloat16).cpu()))
        << describe(c, run.version) << " source " << source << ": bf16 output";
    for (int64_t b = 0; b < c.batch; ++b) {
      const at::Tensor want = reference_unselected(
          source == kernels::kAllKeys, d.q[b].to(at::kDouble).cpu(),
          d.keys[b].to(at::kDouble).cpu(), d.values[b].to(at::kDouble).cpu(), c, s);
      EXPECT_LT(relative_error(out[b], want), run.version == 1 ? 2e-3 : 1e-2)
          << describe(c, run.version) << " source " << source << " sequence " << b;
    }
  }
}

}  // namespace ssa::testing
