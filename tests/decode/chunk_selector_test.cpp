// Chunk selection and visible sets against the spec's worked examples
// (ssa-spec.md, "Inference"), and the selection rules one by one.
#include "engine/decode/chunk_selector.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/decode/visible_set.h"
#include "tests/engine/layout_names.h"

namespace ssa {
namespace {

using testing::iota_tokens;

GistScorer table_scorer(std::vector<std::vector<double>> per_level) {
  return [per_level](int level, const std::vector<int64_t>& candidates) {
    std::vector<double> scores;
    for (int64_t c : candidates) scores.push_back(per_level[level][c]);
    return scores;
  };
}

TEST(ChunkSelector, SpecExampleSsa) {
  LayoutSettings s;
  s.chunk = 2;
  GistLayout layout(s, iota_tokens(8));      // r0 r1 G0 r2 r3 G1 r4 r5 G2 r6 r7 G3
  layout.append(100);                        // s0
  const int64_t query = layout.append(101);  // s1
  GistHierarchy hierarchy(layout);
  SelectionSettings select;
  select.k = 1;
  const auto choices = select_chunks(hierarchy, select, table_scorer({{0.1, 2.0, -1.0, 0.5}}));
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(choices[0].chosen, std::vector<int64_t>{1});  // G1: chunk 1 unfolds
  const auto keys = visible_keys(layout, hierarchy, {0}, query, choices);
  EXPECT_EQ(keys, (std::vector<int64_t>{3, 4, 5, 12, 13}));  // r2 r3 G1 s0 s1
}

TEST(ChunkSelector, SpecExampleHssa) {
  GistLayout layout(parse_hierarchy("chunk2-chunk2"), iota_tokens(16));
  layout.append(100);
  const int64_t query = layout.append(101);
  ASSERT_EQ(testing::spec_notation(layout).substr(0, 24), "r0 r1 G r2 r3 G M1 r4 r5");
  GistHierarchy hierarchy(layout);
  SelectionSettings select;
  select.k = 1;
  const auto choices = select_chunks(
      hierarchy, select,
      table_scorer({{0.5, 0.1, 0.7, 0.2, 0.3, 0.8, 0.0, 0.4}, {0.3, 1.5, 0.2, -0.4}}));
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].level, 1);
  EXPECT_EQ(choices[0].chosen, std::vector<int64_t>{1});           // M1b
  EXPECT_EQ(choices[1].candidates, (std::vector<int64_t>{2, 3}));  // G2, G3 only
  EXPECT_EQ(choices[1].chosen, std::vector<int64_t>{2});           // G2, not G5
  const auto keys = visible_keys(layout, hierarchy, {0}, query, choices);
  EXPECT_EQ(keys, (std::vector<int64_t>{7, 8, 9, 13, 28, 29}));  // r4 r5 G2 M1b s0 s1
}

TEST(ChunkSelector, OpenGenerationGistsAreCandidatesAtTheirLevel) {
  LayoutSettings s = parse_hierarchy("chunk2-chunk2");
  s.gists_in_generation = true;
  GistLayout layout(s, iota_tokens(8));  // r0 r1 G0 r2 r3 G1 M1a r4 r5 G2 r6 r7 G3 M1b
  layout.begin_generation();
  layout.append(100);
  layout.append(101);  // ... s0 s1 G4: no meta-gist summarises G4 yet
  GistHierarchy hierarchy(layout);
  ASSERT_EQ(hierarchy.count(0), 5);
  EXPECT_EQ(hierarchy.first_open(0), 4);
  EXPECT_EQ(hierarchy.first_open(1), 2);  // the top level has no open gists
  EXPECT_EQ(hierarchy.stream_end(), layout.length());
  EXPECT_EQ(hierarchy.chunk_begin(4), 14);  // s0 s1 G4
  SelectionSettings select;
  select.k = 1;
  select.quarter_cap = false;
  const auto choices =
      select_chunks(hierarchy, select, table_scorer({{0.0, 0.0, 0.5, 0.1, 0.9}, {-1.0, 1.0}}));
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].chosen, std::vector<int64_t>{1});              // M1b
  EXPECT_EQ(choices[1].candidates, (std::vector<int64_t>{2, 3, 4}));  // its chunks + G4
  EXPECT_EQ(choices[1].chosen, std::vector<int64_t>{4});              // the open gist wins
  // Built up to a position, the hierarchy holds only the gists before it.
  EXPECT_EQ(GistHierarchy(layout, 16).count(0), 4);
}

TEST(ChunkSelector, QuarterCapAndBudget) {
  SelectionSettings s;
  s.k = 5;
  EXPECT_EQ(level_budget(s, 4, 4), 1);    // max(1, 4/4)
  EXPECT_EQ(level_budget(s, 3, 3), 1);    // max(1, 0)
  EXPECT_EQ(level_budget(s, 40, 40), 5);  // k
  EXPECT_EQ(level_budget(s, 12, 12), 3);  // 12/4
  EXPECT_EQ(level_budget(s, 40, 2), 2);   // fewer candidates than k after descending
  s.quarter_cap = false;
  EXPECT_EQ(level_budget(s, 4, 4), 4);
  EXPECT_EQ(level_budget(s, 40, 40), 5);
}

TEST(ChunkSelector, TiesGoToTheLowerIndex) {
  EXPECT_EQ(choose_top({0, 1, 2, 3}, {1.0, 2.0, 2.0, 2.0}, 2, 0), (std::vector<int64_t>{1, 2}));
  // The partial sort (budget below the candidates) and the full sort agree.
  EXPECT_EQ(choose_top({4, 5, 6, 7, 8}, {3.0, 1.0, 3.0, 3.0, 0.0}, 1, 0),
            (std::vector<int64_t>{4}));
  EXPECT_EQ(choose_top({4, 5, 6, 7, 8}, {3.0, 1.0, 3.0, 3.0, 0.0}, 5, 0),
            (std::vector<int64_t>{4, 6, 7, 5, 8}));
  // top-p ranks the same way: equal scores, the lower index first.
  EXPECT_EQ(choose_top({4, 5, 6}, {0.0, 0.0, 0.0}, 0, 0.5), (std::vector<int64_t>{4, 5}));
}

TEST(ChunkSelector, LevelBudgetsOverrideKWhereGiven) {
  SelectionSettings s;
  s.k = 2;
  s.level_k = {7, 5};
  EXPECT_EQ(s.k_at(0), 7);
  EXPECT_EQ(s.k_at(1), 5);
  EXPECT_EQ(s.k_at(2), 2);
  EXPECT_EQ(level_budget(s, 100, 100, 0), 7);
  EXPECT_EQ(level_budget(s, 100, 100, 1), 5);
  EXPECT_EQ(level_budget(s, 100, 100, 2), 2);
  EXPECT_EQ(level_budget(s, 12, 100, 0), 3);  // the quarter cap still applies
  EXPECT_EQ(level_budget(s, 100, 4, 0), 4);   // and the candidates on offer
}

TEST(ChunkSelector, TopPTakesTheSmallestSetReachingTheMass) {
  // Softmax of log(6), log(3), log(1) = 0.6, 0.3, 0.1.
  const std::vector<double> scores = {std::log(3.0), std::log(6.0), std::log(1.0)};
  EXPECT_EQ(choose_top({0, 1, 2}, scores, 0, 0.5), (std::vector<int64_t>{1}));
  EXPECT_EQ(choose_top({0, 1, 2}, scores, 0, 0.85), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(choose_top({0, 1, 2}, scores, 0, 0.95), (std::vector<int64_t>{1, 0, 2}));
}

TEST(ChunkSelector, EverythingChosenSeesTheWholeCausalStream) {
  // Cap off, k >= every n_l: the visible set is every position up to the query.
  LayoutSettings s = parse_hierarchy("chunk3-chunk2-chunk2");
  s.sink = 2;
  GistLayout layout(s, iota_tokens(50));
  for (int i = 0; i < 3; ++i) layout.append(200 + i);
  const int64_t query = layout.length() - 1;
  GistHierarchy hierarchy(layout);
  SelectionSettings select;
  select.k = 1000;
  select.quarter_cap = false;
  const auto choices = select_chunks(hierarchy, select, [](int, const std::vector<int64_t>& c) {
    return std::vector<double>(c.size(), 0.0);
  });
  const auto keys = visible_keys(layout, hierarchy, {1}, query, choices);
  ASSERT_EQ(static_cast<int64_t>(keys.size()), query + 1);
  for (int64_t k = 0; k <= query; ++k) EXPECT_EQ(keys[k], k);
}

TEST(ChunkSelector, PreviousChunksAndSinkStayVisibleWithoutSelection) {
  LayoutSettings s;
  s.chunk = 2;
  s.sink = 1;
  GistLayout layout(s, iota_tokens(7));  // r0 | r1 r2 G0 r3 r4 G1 r5 r6 G2 | s0
  const int64_t query = layout.append(100);
  GistHierarchy hierarchy(layout);
  SelectionSettings select;
  select.k = 1;
  // G0 chosen; with p = 1 the last chunk's raw tokens (not its gist) stay visible.
  const auto choices = select_chunks(hierarchy, select, table_scorer({{3.0, 1.0, 2.0}}));
  const auto keys = visible_keys(layout, hierarchy, {1}, query, choices);
  EXPECT_EQ(keys, (std::vector<int64_t>{0, 1, 2, 3, 7, 8, 10}));  // r0 | r1 r2 G0 | r5 r6 | s0
}

TEST(ChunkSelector, UnionOfHeadSets) {
  EXPECT_EQ(union_of({{1, 4, 5}, {2, 4}, {}}), (std::vector<int64_t>{1, 2, 4, 5}));
}

}  // namespace
}  // namespace ssa
