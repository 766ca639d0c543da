// Random one-layer decode cases and their comparison with the CPU reference
// (selective_attention), shared by the GPU tests (device_decode_test.cpp)
// and the CPU-emulated kernels (kernel_emulation_test.cpp).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/decode/baselines.h"
#include "engine/decode/device_plan.h"
#include "engine/decode/selective_attention.h"
#include "tests/engine/layout_names.h"

namespace ssa::testing {

struct LayerCase {
  LayoutSettings layout;
  MaskSettings mask;
  int64_t raw = 0;
  int suffix = 1;
  int generated = 0;  // tokens generated with gists in generation (the query among them)
  int64_t batch = 1, kv_heads = 1, group = 1, head_dim = 64;
  GqaMode mode = GqaMode::kHead;
  SelectionSettings select;
};

inline std::string describe(const LayerCase& c, int version) {
  return c.layout.hierarchy_name() + " sink " + std::to_string(c.layout.sink) + " p " +
         std::to_string(c.mask.previous_chunks) + " raw " + std::to_string(c.raw) + " gen " +
         std::to_string(c.generated) + " B " + std::to_string(c.batch) + " Hkv " +
         std::to_string(c.kv_heads) + " G " + std::to_string(c.group) + " D " +
         std::to_string(c.head_dim) + " mode " + std::to_string(static_cast<int>(c.mode)) + " k " +
         std::to_string(c.select.k) + " cap " + std::to_string(c.select.quarter_cap) + " top_p " +
         std::to_string(c.select.top_p) + " v" + std::to_string(version);
}

// `max_raw` bounds the prompt (the emulator is slow), `heads` the group sizes.
inline LayerCase random_layer_case(std::mt19937& rng, int64_t max_raw = 3000, bool big = true) {
  LayerCase c;
  const int chunks[] = {2, 3, 4, 8, 16};
  c.layout.chunk = chunks[rng() % 5];
  const int levels = rng() % 3;
  for (int l = 0; l < levels; ++l) c.layout.group_sizes.push_back(2 + rng() % 3);
  c.layout.sink = rng() % 2 ? 3 : 0;
  c.mask.previous_chunks = rng() % 3;
  c.raw = 20 + rng() % max_raw;
  c.suffix = 1 + rng() % 3;
  if (rng() % 4 == 0) {
    c.layout.gists_in_generation = true;
    c.generated = 1 + rng() % 20;
  }
  c.batch = 1 + rng() % 3;
  c.kv_heads = 1 + rng() % 3;
  const int groups[] = {1, 2, 3, 4, 7, 8, 16};
  c.group = groups[rng() % (big ? 7 : 5)];
  c.head_dim = rng() % 2 ? 128 : 64;
  c.mode = static_cast<GqaMode>(rng() % 3);
  c.select.k = 1 + rng() % 8;
  if (rng() % 6 == 0) c.select.k = 40 + rng() % 300;  // more than a slice keeps
  c.select.quarter_cap = rng() % 2;
  if (rng() % 6 == 0) c.select.top_p = 0.3 + 0.6 * (rng() % 100) / 100.0;
  return c;
}

// The Qwen2-7B layer's heads (7 query heads per KV head, d 128) with SSA
// chunk16 or H-SSA chunk4-chunk4, sink 3, p 1, k 16.
inline LayerCase qwen_layer_case(const char* hierarchy, GqaMode mode, int64_t raw, int64_t kv_heads,
                                 int64_t batch) {
  LayerCase c;
  c.layout = parse_hierarchy(hierarchy);
  c.layout.sink = 3;
  c.mask.previous_chunks = 1;
  c.raw = raw;
  c.batch = batch;
  c.kv_heads = kv_heads;
  c.group = 7;
  c.head_dim = 128;
  c.mode = mode;
  c.select.k = 16;
  return c;
}

struct Stream {
  GistLayout layout;
  int64_t query;
  GistHierarchy hierarchy;
};

// The stream and hierarchy as a decode session has them at the query.
inline Stream make_stream(const LayerCase& c) {
  GistLayout layout(c.layout, iota_tokens(c.raw));
  for (int i = 0; i < c.suffix; ++i) layout.append(300 + i);
  int64_t end = layout.prefix_length();
  int64_t query = layout.length() - 1;
  if (c.generated > 0) {
    layout.begin_generation();
    for (int i = 0; i < c.generated; ++i) layout.append(310);
    query = layout.length() - 1;
    end = query;  // every gist before the query is held (DecodeSession::step)
  }
  GistHierarchy hierarchy(layout, end);
  return Stream{layout, query, hierarchy};
}

// Gist capacities with a little room, and the longest chunk.
inline std::vector<int64_t> gist_capacity(const Stream& s) {
  std::vector<int64_t> cap;
  for (int l = 0; l < s.hierarchy.num_levels(); ++l) cap.push_back(s.hierarchy.count(l) + 3);
  return cap;
}
inline int64_t max_chunk(const LayerCase& c, const Stream& s) {
  int64_t m = c.layout.chunk + 1;
  for (int64_t j = 0; j < s.hierarchy.count(0); ++j)
    m = std::max(m, s.hierarchy.chunk_end(j) - s.hierarchy.chunk_begin(j));
  return m;
}

inline double relative_error(const at::Tensor& got, const at::Tensor& want) {
  const at::Tensor g = got.to(at::kDouble).cpu(), w = want.to(at::kDouble).cpu();
  if (!at::isfinite(g).all().item<bool>()) return INFINITY;
  return (g - w).norm().item<double>() / std::max(w.norm().item<double>(), 1e-30);
}

// Whether the device may choose differently from the CPU: scores that tie
// within fp32 rounding at the budget's edge (or, with top-p, near the mass
// boundary).
inline bool near_tie(const LevelChoice& cpu, const SelectionSettings& select) {
  std::vector<double> s = cpu.scores;
  std::sort(s.rbegin(), s.rend());
  const double tol = 2e-3;
  const size_t k = cpu.chosen.size();
  if (select.top_p > 0) {
    double total = 0;
    for (double x : s) total += std::exp(x - s[0]);
    double mass = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      mass += std::exp(s[i] - s[0]);
      if (std::abs(mass - select.top_p * total) <= 1e-3 * total) return true;
    }
    for (size_t i = 0; i + 1 < s.size(); ++i)
      if (std::abs(s[i] - s[i + 1]) <= tol) return true;
    return false;
  }
  return k > 0 && k < s.size() && s[k - 1] - s[k] <= tol;
}

struct Agreement {
  int units = 0, compared = 0;
};

// The device's choices (device_choices form) against the reference's, unit
// by unit and level by level; a unit whose choice differs at a near-tie is
// "diverged" (not compared further). Fails the test on any other difference.
inline std::vector<bool> compare_choices(const std::vector<std::vector<LevelChoice>>& dev,
                                         const SelectiveAttentionResult& ref,
                                         const SelectionSettings& select, const std::string& what,
                                         Agreement* agreement) {
  std::vector<bool> diverged(ref.choices.size(), false);
  EXPECT_EQ(dev.size(), ref.choices.size()) << what;
  if (dev.size() != ref.choices.size()) return std::vector<bool>(ref.choices.size(), true);
  for (size_t u = 0; u < dev.size(); ++u) {
    ++agreement->units;
    EXPECT_EQ(dev[u].size(), ref.choices[u].size()) << what << " unit " << u;
    for (size_t i = 0; i < std::min(dev[u].size(), ref.choices[u].size()) && !diverged[u]; ++i) {
      const LevelChoice& want = ref.choices[u][i];
      const LevelChoice& got = dev[u][i];
      EXPECT_EQ(got.level, want.level) << what;
      EXPECT_EQ(got.candidates, want.candidates) << what << " unit " << u << " level " << got.level;
      if (got.candidates != want.candidates) {
        diverged[u] = true;
        break;
      }
      if (!got.scores.empty()) {
        for (size_t j = 0; j < got.scores.size(); ++j) {
          EXPECT_NEAR(got.scores[j], want.scores[j], 1e-3 * (1 + std::abs(want.scores[j])))
              << what << " unit " << u << " level " << got.level << " candidate " << j;
        }
      }
      std::vector<int64_t> g = got.chosen, w = want.chosen;
      std::sort(g.begin(), g.end());
      std::sort(w.begin(), w.end());
      if (g == w) continue;
      EXPECT_TRUE(near_tie(want, select))
          << what << " unit " << u << " level " << got.level << ": chose differently without a tie";
      diverged[u] = true;
    }
    if (dev[u].size() != ref.choices[u].size()) diverged[u] = true;
    agreement->compared += diverged[u] ? 0 : 1;
  }
  return diverged;
}

// Whether head h's keys depend only on units that chose as the reference did.
inline bool head_comparable(const LayerCase& c, const std::vector<bool>& diverged, int64_t h) {
  if (c.mode == GqaMode::kIndependent) return !diverged[h];
  const int64_t per_group = static_cast<int64_t>(diverged.size()) / c.kv_heads;
  const int64_t g = h / c.group;
  for (int64_t u = g * per_group; u < (g + 1) * per_group; ++u) {
    if (diverged[u]) return false;
  }
  return true;
}

// The CPU reference of the dense-layer sources: every key up to the query
// (kAllKeys) or the training row (kTrainingRow, the gist-only baseline).
inline at::Tensor reference_unselected(bool all_keys, const at::Tensor& q, const at::Tensor& keys,
                                       const at::Tensor& values, const LayerCase& c,
                                       const Stream& s) {
  if (all_keys) {
    return full_attention(q, keys.narrow(1, 0, s.query + 1), values.narrow(1, 0, s.query + 1));
  }
  SelectiveAttentionOptions gist_only;
  gist_only.baseline = Baseline::kGistOnly;
  return selective_attention(q, keys, values, s.layout, s.hierarchy, c.mask, s.query, c.select,
                             c.mode, gist_only)
      .output;
}

}  // namespace ssa::testing
