// Selective attention against independent loop computations: everything
// chosen == causal attention; GQA head / group / independent semantics; the
// keys scored per step of SSA vs H-SSA.
#include "engine/decode/selective_attention.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/decode/visible_set.h"
#include "tests/decode/attention_case.h"
#include "tests/engine/layout_names.h"

namespace ssa {
namespace {

using namespace testing;

TEST(SelectiveAttention, EverythingChosenEqualsCausalAttention) {
  LayoutSettings s = parse_hierarchy("chunk3-chunk2");
  s.sink = 2;
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
    Case c = make_case(s, 40, 3, 4, 2, 1);
    GistHierarchy hierarchy(c.layout);
    SelectionSettings select;
    select.k = 1000;
    select.quarter_cap = false;
    const auto r =
        selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {1}, c.query, select, mode);
    std::vector<int64_t> all;
    for (int64_t k = 0; k <= c.query; ++k) all.push_back(k);
    for (int64_t h = 0; h < 4; ++h) {
      expect_rows_near(r.output, h, loop_attention(c.q[h], c.keys[h / 2], c.values[h / 2], all));
    }
    EXPECT_DOUBLE_EQ(r.keys_read, static_cast<double>(c.query + 1));
    // The full-attention baseline computes the same thing without selection.
    const at::Tensor full = full_attention(c.q, c.keys, c.values);
    for (int64_t h = 0; h < 4; ++h) {
      expect_rows_near(full, h, loop_attention(c.q[h], c.keys[h / 2], c.values[h / 2], all));
    }
  }
}

// Per-head choices made by loops, to check the three GQA modes.
std::vector<LevelChoice> loop_choices(const Case& c, const GistHierarchy& hierarchy,
                                      const SelectionSettings& select, int64_t first_head,
                                      int64_t heads, int64_t kv_head) {
  return select_chunks(hierarchy, select, [&](int level, const std::vector<int64_t>& candidates) {
    std::vector<double> scores;
    for (int64_t cand : candidates) {
      double s = 0;
      for (int64_t h = first_head; h < first_head + heads; ++h) {
        s += loop_dot(c.q[h], c.keys[kv_head][hierarchy.gists(level)[cand]]);
      }
      scores.push_back(s);
    }
    return scores;
  });
}

TEST(SelectiveAttention, GqaModesAttendToTheRightSets) {
  const LayoutSettings s = parse_hierarchy("chunk2-chunk2");
  Case c = make_case(s, 64, 2, 4, 2, 7);
  GistHierarchy hierarchy(c.layout);
  SelectionSettings select;
  select.k = 2;
  const MaskSettings mask{0};

  // head: each head chooses; the group attends to the union of its heads' sets.
  auto r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, mask, c.query, select,
                               GqaMode::kHead);
  for (int64_t g = 0; g < 2; ++g) {
    std::vector<std::vector<int64_t>> sets;
    for (int64_t h = 2 * g; h < 2 * g + 2; ++h) {
      const auto choices = loop_choices(c, hierarchy, select, h, 1, g);
      EXPECT_EQ(r.choices[h].back().chosen, choices.back().chosen) << "head " << h;
      sets.push_back(visible_keys(c.layout, hierarchy, mask, c.query, choices));
    }
    const auto group_set = union_of(sets);
    for (int64_t h = 2 * g; h < 2 * g + 2; ++h) {
      expect_rows_near(r.output, h, loop_attention(c.q[h], c.keys[g], c.values[g], group_set));
    }
  }

  // independent: each head attends to its own set only.
  r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, mask, c.query, select,
                          GqaMode::kIndependent);
  for (int64_t h = 0; h < 4; ++h) {
    const auto own = visible_keys(c.layout, hierarchy, mask, c.query,
                                  loop_choices(c, hierarchy, select, h, 1, h / 2));
    expect_rows_near(r.output, h, loop_attention(c.q[h], c.keys[h / 2], c.values[h / 2], own));
  }

  // group: the choice is the top-k of the scores summed over the group's heads.
  r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, mask, c.query, select,
                          GqaMode::kGroup);
  ASSERT_EQ(r.choices.size(), 2u);
  for (int64_t g = 0; g < 2; ++g) {
    const auto summed = loop_choices(c, hierarchy, select, 2 * g, 2, g);
    ASSERT_EQ(r.choices[g].size(), summed.size());
    for (size_t level = 0; level < summed.size(); ++level) {
      EXPECT_EQ(r.choices[g][level].chosen, summed[level].chosen) << "group " << g;
    }
    const auto set = visible_keys(c.layout, hierarchy, mask, c.query, summed);
    for (int64_t h = 2 * g; h < 2 * g + 2; ++h) {
      expect_rows_near(r.output, h, loop_attention(c.q[h], c.keys[g], c.values[g], set));
    }
  }
  // selective_attention is choose_units -> visible_sets -> attend_visible:
  // the three called one by one give its result, bit for bit.
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
    r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, mask, c.query, select,
                            mode);
    const auto choices = choose_units(c.q, c.keys, c.layout, hierarchy, mask, c.query, select, mode,
                                      Baseline::kNone, nullptr, {});
    ASSERT_EQ(choices.size(), r.choices.size());
    for (size_t u = 0; u < choices.size(); ++u)
      EXPECT_EQ(choices[u].back().chosen, r.choices[u].back().chosen);
    const auto visible = visible_sets(c.layout, hierarchy, mask, c.query, choices, Baseline::kNone);
    EXPECT_TRUE(at::equal(attend_visible(c.q, c.keys, c.values, visible, mode), r.output));
  }
}

TEST(SelectiveAttention, HssaScoresFarFewerKeysThanSsa) {
  // 4096 raw tokens. SSA chunk4 scores all 1024 gists. H-SSA chunk4-chunk4
  // scores 256 meta-gists + k * 4 gists of the chosen groups = 264 (k = 2).
  SelectionSettings select;
  select.k = 2;
  LayoutSettings ssa;
  ssa.chunk = 4;
  Case flat = make_case(ssa, 4096, 1, 2, 2, 3);
  GistHierarchy flat_h(flat.layout);
  const auto flat_r = selective_attention(flat.q, flat.keys, flat.values, flat.layout, flat_h, {0},
                                          flat.query, select, GqaMode::kHead);
  EXPECT_DOUBLE_EQ(flat_r.keys_scored, 1024);
  // Read: 2 unfolded chunks of 4 raw + gist, and the query itself.
  EXPECT_DOUBLE_EQ(flat_r.keys_read, 2 * 5 + 1);

  Case deep = make_case(parse_hierarchy("chunk4-chunk4"), 4096, 1, 2, 2, 3);
  GistHierarchy deep_h(deep.layout);
  const auto deep_r = selective_attention(deep.q, deep.keys, deep.values, deep.layout, deep_h, {0},
                                          deep.query, select, GqaMode::kHead);
  EXPECT_DOUBLE_EQ(deep_r.keys_scored, 256 + 2 * 4);
  // Read: 2 unfolded chunks (5 each), 2 chosen meta-gists, the query.
  EXPECT_DOUBLE_EQ(deep_r.keys_read, 2 * 5 + 2 + 1);
}

struct CollectingObserver : trace::Observer {
  std::vector<trace::ChunkScores> scores;
  std::vector<trace::Selection> selections;
  void on_chunk_scores(int64_t, const trace::ChunkScores& s) override { scores.push_back(s); }
  void on_selection(int64_t, const trace::Selection& s) override { selections.push_back(s); }
};

TEST(SelectiveAttention, ReportsEveryLevelOfEveryUnitAsStreamPositions) {
  Case c = make_case(parse_hierarchy("chunk2-chunk2"), 16, 2, 2, 1, 5);
  GistHierarchy hierarchy(c.layout);
  SelectionSettings select;
  select.k = 1;
  const auto r = selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {0}, c.query,
                                     select, GqaMode::kHead);
  CollectingObserver observer;
  report_selection(observer, 3, 1, hierarchy, r);
  ASSERT_EQ(observer.scores.size(), 4u);  // 2 heads x 2 levels
  EXPECT_EQ(observer.scores[0].level, 1);
  EXPECT_EQ(observer.scores[0].candidates, (std::vector<int64_t>{6, 13, 20, 27}));  // M1a..M1d
  for (const auto& sel : observer.selections) {
    ASSERT_EQ(sel.chosen.size(), 1u);
    EXPECT_TRUE(c.layout.is_gist(sel.chosen[0]));
    EXPECT_EQ(c.layout.level(sel.chosen[0]), sel.level);
  }
}

TEST(SelectiveAttention, TiesGoToTheLowerStreamPosition) {
  // One query head per KV head, so that a key can be made the best of its
  // head: gists 5, 3 and 1 get the key 100 q, the same score, far above the
  // rest. With k = 1 every unit chooses gist 1, the lowest of them; at a lower
  // level of H-SSA, the lower of two tied children.
  LayoutSettings s;
  s.chunk = 2;
  Case c = make_case(s, 16, 1, 2, 2, 17);  // 8 chunks
  GistHierarchy hierarchy(c.layout);
  for (int64_t j : {5, 3, 1}) c.keys.select(1, hierarchy.gists(0)[j]).copy_(c.q * 100);
  SelectionSettings select;
  select.k = 1;
  select.quarter_cap = false;
  for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
    const auto r =
        selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {0}, c.query, select, mode);
    for (const auto& unit : r.choices) {
      ASSERT_EQ(unit.size(), 1u);
      EXPECT_DOUBLE_EQ(unit[0].scores[1], unit[0].scores[5]);
      EXPECT_EQ(unit[0].chosen, (std::vector<int64_t>{1}));
    }
  }
  Case h = make_case(parse_hierarchy("chunk2-chunk2"), 16, 1, 2, 2, 19);  // 4 groups of 2
  GistHierarchy deep(h.layout);
  h.keys.select(1, deep.gists(1)[2]).copy_(h.q * 100);  // group 2 wins
  for (int64_t j : {5, 4}) h.keys.select(1, deep.gists(0)[j]).copy_(h.q * 100);
  const auto r = selective_attention(h.q, h.keys, h.values, h.layout, deep, {0}, h.query, select,
                                     GqaMode::kHead);
  for (const auto& unit : r.choices) {
    ASSERT_EQ(unit.size(), 2u);
    EXPECT_EQ(unit[0].chosen, (std::vector<int64_t>{2}));
    EXPECT_EQ(unit[1].candidates, (std::vector<int64_t>{4, 5}));
    EXPECT_EQ(unit[1].chosen, (std::vector<int64_t>{4}));
  }
}

TEST(SelectiveAttention, RejectsBadShapesAndModes) {
  EXPECT_THROW(parse_gqa_mode("heads"), std::invalid_argument);
  EXPECT_EQ(parse_gqa_mode("group"), GqaMode::kGroup);
  Case c = make_case(parse_hierarchy("chunk2"), 8, 1, 3, 2, 1);
  GistHierarchy hierarchy(c.layout);
  EXPECT_THROW(selective_attention(c.q, c.keys, c.values, c.layout, hierarchy, {0}, c.query, {},
                                   GqaMode::kHead),
               std::invalid_argument);
}

}  // namespace
}  // namespace ssa
