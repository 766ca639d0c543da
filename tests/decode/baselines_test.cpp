// The comparison baselines (gist-only, oracle, recency), the full-attention
// mass coverage of --shadow-full, and H-SSA with a wide budget == SSA, each
// against loop computations made here.
#include "engine/decode/baselines.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "engine/decode/selective_attention.h"
#include "engine/decode/visible_set.h"
#include "engine/mask/training_mask.h"
#include "tests/decode/attention_case.h"

namespace ssa {
namespace {

using namespace testing;

// Full-attention mass of every prefix chunk for head h, by loops.
std::vector<double> loop_chunk_mass(const Case& c, const GistHierarchy& hierarchy, int64_t head,
                                    int64_t kv_head) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.q.size(1)));
  std::vector<double> w;
  double best = -1e300, total = 0;
  for (int64_t k = 0; k <= c.query; ++k) {
    w.push_back(loop_dot(c.q[head], c.keys[kv_head][k]) * scale);
    best = std::max(best, w.back());
  }
  for (double& x : w) total += (x = std::exp(x - best));
  std::vector<double> mass(hierarchy.count(0), 0.0);
  for (int64_t j = 0; j < hierarchy.count(0); ++j) {
    for (int64_t k = hierarchy.chunk_begin(j); k < hierarchy.chunk_end(j); ++k)
      mass[j] += w[k] / total;
  }
  return mass;
}

// Indices of the `k` largest values, largest first (ties: lower index).
std::vector<int64_t> loop_top(const std::vector<double>& values, int64_t k) {
  std::vector<int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return values[a] > values[b]; });
  order.resize(std::min<int64_t>(k, order.size()));
  return order;
}

// Share of the mass of chunks [0, end) that the chosen ones among them carry.
double loop_share(const std::vector<double>& mass, const std::vector<int64_t>& chosen, size_t end) {
  double all = 0, part = 0;
  for (size_t j = 0; j < end; ++j) all += mass[j];
  for (int64_t j : chosen) part += static_cast<size_t>(j) < end ? mass[j] : 0.0;
  return part / all;
}

TEST(Baselines, ParseAndNameEveryBaseline) {
  for (const char* name : {"none", "full", "gist-only", "oracle", "recency"}) {
    EXPECT_STREQ(baseline_name(parse_baseline(name)), name);
  }
  EXPECT_THROW(parse_baseline("gist_only"), std::invalid_argument);
  EXPECT_THROW(parse_baseline(""), std::invalid_argument);
}

TEST(Baselines, GistOnlyAttendsExactlyTheTrainingMaskRow) {
  LayoutSettings s = parse_hierarchy("chunk3-chunk2");
  s.sink = 2;
  Case c = make_case(s, 40, 3, 4, 2, 4);
  GistHierarchy hierarchy(c.layout);
  const MaskSettings mask{1};
  SelectiveAttentionOptions options;
  options.baseline = Baseline::kGistOnly;
  const auto r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, mask, c.query, {},
                                     GqaMode::kHead, options);
  // The row from the dense reference mask, not from the rule the engine uses.
  const at::Tensor row = dense_training_mask(c.layout, mask)[c.query];
  std::vector<int64_t> expected;
  for (int64_t k = 0; k <= c.query; ++k) {
    if (row[k].item<bool>()) expected.push_back(k);
  }
  EXPECT_EQ(training_row_keys(c.layout, mask, c.query), expected);
  for (int64_t h = 0; h < 4; ++h) {
    EXPECT_TRUE(r.choices[h].empty());
    expect_rows_near(r.output, h, loop_attention(c.q[h], c.keys[h / 2], c.values[h / 2], expected));
  }
  EXPECT_EQ(r.keys_scored, 0);
  EXPECT_DOUBLE_EQ(r.keys_read, static_cast<double>(expected.size()));
  // A dense layer (spec 8) attends to the same row: bit for bit, in every mode.
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
    const auto dense = training_row_attention(c.q, c.keys, c.values, c.layout, mask, c.query, mode);
    const auto gist_only = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, mask,
                                               c.query, {}, mode, options);
    EXPECT_TRUE(at::equal(dense.output, gist_only.output));
    EXPECT_DOUBLE_EQ(dense.keys_read, gist_only.keys_read);
    EXPECT_EQ(dense.keys_scored, 0);
    EXPECT_EQ(dense.full_mass_coverage, -1);  // a dense layer unfolds nothing: not measured
    for (const auto& unit : dense.choices) EXPECT_TRUE(unit.empty());
  }
}

TEST(Baselines, RecencyUnfoldsTheLastKChunksAndTheirAncestors) {
  // chunk2-chunk2 over 20 raw tokens: chunks 0..9, groups 0..4.
  Case c = make_case(parse_hierarchy("chunk2-chunk2"), 20, 2, 2, 1, 6);
  GistHierarchy hierarchy(c.layout);
  SelectionSettings select;
  select.k = 3;
  select.quarter_cap = false;
  SelectiveAttentionOptions options;
  options.baseline = Baseline::kRecency;
  const auto r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {0}, c.query,
                                     select, GqaMode::kHead, options);
  for (int64_t h = 0; h < 2; ++h) {
    ASSERT_EQ(r.choices[h].size(), 2u);
    EXPECT_EQ(r.choices[h][0].level, 1);
    EXPECT_EQ(r.choices[h][0].chosen, (std::vector<int64_t>{3, 4}));  // groups of chunks 7, 8, 9
    EXPECT_EQ(r.choices[h][1].chosen, (std::vector<int64_t>{9, 8, 7}));
  }
  const auto visible = visible_keys(c.layout, hierarchy, {0}, c.query, r.choices[0]);
  expect_rows_near(r.output, 0, loop_attention(c.q[0], c.keys[0], c.values[0], visible));
  EXPECT_EQ(r.keys_scored, 0);
  // With the quarter cap (the default), k_0 = min(3, 10 / 4) = 2.
  select.quarter_cap = true;
  const auto capped = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {0}, c.query,
                                          select, GqaMode::kHead, options);
  EXPECT_EQ(capped.choices[0].back().chosen, (std::vector<int64_t>{9, 8}));
}

TEST(Baselines, OracleUnfoldsTheChunksCarryingTheMostFullAttentionMass) {
  for (const char* layout_name : {"chunk4", "chunk2-chunk3"}) {
    Case c = make_case(parse_hierarchy(layout_name), 64, 2, 4, 2, 8);
    GistHierarchy hierarchy(c.layout);
    SelectionSettings select;
    select.k = 3;
    select.quarter_cap = false;
    SelectiveAttentionOptions options;
    options.baseline = Baseline::kOracle;
    options.shadow_full = true;
    const auto oracle = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {1},
                                            c.query, select, GqaMode::kHead, options);
    // With p = 1 the query reads the last chunk's raw tokens already: the
    // oracle chooses among the others, and coverage measures those.
    const size_t unfoldable = static_cast<size_t>(hierarchy.count(0) - 1);
    double expected_coverage = 0;
    for (int64_t h = 0; h < 4; ++h) {
      auto mass = loop_chunk_mass(c, hierarchy, h, h / 2);
      const std::vector<double> candidates(mass.begin(), mass.begin() + unfoldable);
      EXPECT_EQ(oracle.choices[h].back().chosen, loop_top(candidates, 3))
          << layout_name << " head " << h;
      expected_coverage += loop_share(mass, loop_top(candidates, 3), unfoldable) / 4;
    }
    EXPECT_NEAR(oracle.full_mass_coverage, expected_coverage, 1e-12) << layout_name;
    // The oracle ranks by every key.
    EXPECT_DOUBLE_EQ(oracle.keys_scored, static_cast<double>(c.query + 1));
    // No choice of 3 chunks carries more mass: SSA's coverage is at most the oracle's.
    options.baseline = Baseline::kNone;
    const auto ssa = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {1}, c.query,
                                         select, GqaMode::kHead, options);
    EXPECT_LE(ssa.full_mass_coverage, oracle.full_mass_coverage + 1e-12) << layout_name;
  }
}

TEST(Baselines, ShadowCoverageIsTheUnfoldedChunksShareOfFullAttention) {
  Case c = make_case(parse_hierarchy("chunk4"), 80, 2, 4, 2, 10);
  GistHierarchy hierarchy(c.layout);
  SelectiveAttentionOptions options;
  options.shadow_full = true;
  SelectionSettings select;
  select.k = 2;
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup}) {
    const auto r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {1}, c.query,
                                       select, mode, options);
    const int64_t units = mode == GqaMode::kGroup ? 2 : 4;
    double expected = 0;
    for (int64_t u = 0; u < units; ++u) {
      std::vector<double> mass(hierarchy.count(0), 0.0);
      const int64_t first = mode == GqaMode::kGroup ? 2 * u : u, heads = units == 2 ? 2 : 1;
      for (int64_t h = first; h < first + heads; ++h) {
        const auto m = loop_chunk_mass(c, hierarchy, h, h / 2);
        for (size_t j = 0; j < m.size(); ++j) mass[j] += m[j];
      }
      // p = 1: the last chunk is read anyway and left out of the measure.
      expected += loop_share(mass, r.choices[u].back().chosen, mass.size() - 1) / units;
    }
    EXPECT_NEAR(r.full_mass_coverage, expected, 1e-12);
    EXPECT_LT(r.full_mass_coverage, 1);
  }
  // Every chunk unfolded carries all of it; without the shadow nothing is measured.
  select.k = 1000;
  select.quarter_cap = false;
  auto r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {1}, c.query, select,
                               GqaMode::kHead, options);
  EXPECT_NEAR(r.full_mass_coverage, 1.0, 1e-12);
  r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {1}, c.query, select,
                          GqaMode::kHead);
  EXPECT_EQ(r.full_mass_coverage, -1);
}

TEST(Baselines, HssaWithAWideEnoughBudgetChoosesAsSsa) {
  // When k covers every gist of every upper level (cap off), no group is cut
  // on the way down, so level 0 chooses the top k of all gists: SSA's choice.
  std::mt19937 random(3);
  std::normal_distribution<double> normal;
  const GistLayout layout(parse_hierarchy("chunk2-chunk4-chunk2"), iota_tokens(64));
  GistHierarchy hierarchy(layout);  // 32 gists, 8 meta-gists of level 1, 4 of level 2
  ASSERT_EQ(hierarchy.count(1), 8);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::vector<double>> table(3);
    for (int level = 0; level < 3; ++level) {
      for (int64_t j = 0; j < hierarchy.count(level); ++j)
        table[level].push_back(trial % 4 == 0 ? std::round(normal(random)) : normal(random));
    }
    auto scorer = [&](int level, const std::vector<int64_t>& candidates) {
      std::vector<double> scores;
      for (int64_t cand : candidates) scores.push_back(table[level][cand]);
      return scores;
    };
    for (int k : {8, 9, 13, 20}) {
      SelectionSettings select;
      select.k = k;
      select.quarter_cap = false;
      const auto choices = select_chunks(hierarchy, select, scorer);
      std::vector<int64_t> all(hierarchy.count(0));
      std::iota(all.begin(), all.end(), 0);
      EXPECT_EQ(choices.back().chosen, choose_top(all, table[0], k, 0)) << "k " << k;
      EXPECT_EQ(choices.back().chosen, loop_top(table[0], k)) << "k " << k;
    }
  }

  // The same through selective attention on random keys: the unfolded chunks
  // are SSA's top k over all gists, and the output attends to them plus every
  // meta-gist.
  Case c = make_case(parse_hierarchy("chunk2-chunk6"), 48, 2, 4, 2, 12);
  GistHierarchy h2(c.layout);  // 24 gists, 4 meta-gists
  SelectionSettings select;
  select.k = 5;
  select.quarter_cap = false;
  const auto r = selective_attention(c.q, c.keys, c.values, c.layout, h2, {0}, c.query, select,
                                     GqaMode::kIndependent);
  for (int64_t h = 0; h < 4; ++h) {
    std::vector<double> scores;
    for (int64_t gist : h2.gists(0)) scores.push_back(loop_dot(c.q[h], c.keys[h / 2][gist]));
    const std::vector<int64_t> flat = loop_top(scores, 5);
    EXPECT_EQ(r.choices[h].back().chosen, flat) << "head " << h;
    LevelChoice meta{1, {}, {}, {0, 1, 2, 3}}, gists{0, {}, {}, flat};
    const auto visible = visible_keys(c.layout, h2, {0}, c.query, {meta, gists});
    expect_rows_near(r.output, h, loop_attention(c.q[h], c.keys[h / 2], c.values[h / 2], visible));
  }
}

TEST(Baselines, FullAttentionIsNotASelection) {
  Case c = make_case(parse_hierarchy("chunk2"), 8, 1, 2, 1, 1);
  GistHierarchy hierarchy(c.layout);
  SelectiveAttentionOptions options;
  options.baseline = Baseline::kFull;
  EXPECT_THROW(selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {0}, c.query, {},
                                   GqaMode::kHead, options),
               std::invalid_argument);
}

}  // namespace
}  // namespace ssa
