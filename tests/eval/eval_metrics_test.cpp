// The eval metrics on three examples worked out by hand: a right passkey, a
// wrong one, and an answer that starts at the second step (eval_metrics.h).
#include "engine/eval/eval_metrics.h"

#include <gtest/gtest.h>

namespace ssa::eval {
namespace {

// Steps from (piece, seconds, keys read, coverage, answer unfolded); 10 keys scored each.
struct S {
  const char* piece;
  double seconds, read, coverage;
  int unfolded;
};
ExampleOutcome example(const std::string& expected, std::initializer_list<S> steps) {
  ExampleOutcome o;
  o.expected = expected;
  for (const S& s : steps) {
    o.steps.push_back({s.piece, s.seconds, 10, s.read, s.coverage, s.unfolded});
    o.generated += s.piece;
  }
  score_example(o);
  return o;
}

std::vector<ExampleOutcome> three_examples() {
  return {
      // Right: the answer chunk unfolded at step 0, where the answer starts.
      example("48213", {{"4", 2.0, 100, 0.9, 1},
                        {"8", 0.010, 40, 0.5, 0},
                        {"2", 0.020, 40, 0.7, 0},
                        {"1", 0.030, 40, 0.2, 0},
                        {"3", 0.040, 40, 1.0, 0}}),
      // Wrong: " 4x2" matches 4 and 2 of 48213 (2 of 5 characters); not unfolded.
      example("48213",
              {{" 4", 1.0, 80, 0.1, 0}, {"x", 0.005, 30, 0.3, 1}, {"2", 0.015, 30, 0.6, 1}}),
      // "the cellar": the answer starts in the second piece, unfolded there.
      example("cellar",
              {{"the", 1.5, 60, 0.4, 0}, {" cel", 0.025, 20, 0.8, 1}, {"lar", 0.035, 20, 0.05, 0}}),
  };
}

TEST(EvalMetrics, ExampleScores) {
  const std::vector<ExampleOutcome> e = three_examples();
  EXPECT_TRUE(e[0].exact);
  EXPECT_DOUBLE_EQ(e[0].char_accuracy, 1.0);
  EXPECT_EQ(e[0].answer_step, 0);
  EXPECT_EQ(e[0].answer_unfolded, 1);

  EXPECT_FALSE(e[1].exact);
  EXPECT_DOUBLE_EQ(e[1].char_accuracy, 0.4);
  EXPECT_EQ(e[1].answer_step, 0);  // not found: the first non-blank character's step
  EXPECT_EQ(e[1].answer_unfolded, 0);

  EXPECT_FALSE(e[2].exact);
  EXPECT_DOUBLE_EQ(e[2].char_accuracy, 0.0);  // "the cellar" against "cellar", from 't'
  EXPECT_EQ(e[2].answer_step, 1);
  EXPECT_EQ(e[2].answer_unfolded, 1);
}

TEST(EvalMetrics, ConfigurationByHand) {
  const ConfigMetrics m = summarize(three_examples(), 500);
  EXPECT_EQ(m.n, 3);
  EXPECT_DOUBLE_EQ(m.exact, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.char_accuracy, (1.0 + 0.4 + 0.0) / 3);
  // The answer chunk unfolded at the answering step in examples 1 and 3.
  ASSERT_TRUE(m.recall);
  EXPECT_DOUBLE_EQ(*m.recall, 2.0 / 3);
  // 11 coverages pooled: mean 5.55 / 11; sorted 0.05, 0.1, ...: p10 is rank ceil(1.1) = 2.
  ASSERT_TRUE(m.coverage_mean && m.coverage_p10);
  EXPECT_DOUBLE_EQ(*m.coverage_mean, 5.55 / 11);
  EXPECT_DOUBLE_EQ(*m.coverage_p10, 0.1);
  // 500 keys read over 11 steps; context 500: compression 11.
  EXPECT_DOUBLE_EQ(m.keys_read_per_step, 500.0 / 11);
  ASSERT_TRUE(m.compression);
  EXPECT_DOUBLE_EQ(*m.compression, 11.0);
  EXPECT_DOUBLE_EQ(m.keys_scored_per_step, 10.0);
  // Steps after the first: 10 20 30 40, 5 15, 25 35 ms.
  ASSERT_TRUE(m.ms_per_step);
  EXPECT_NEAR(*m.ms_per_step, 180.0 / 8, 1e-12);
}

TEST(EvalMetrics, UnmeasuredStaysEmpty) {
  // Full attention: no answer flag, no coverage; nothing read: no compression.
  const ExampleOutcome full = example("7", {{"7", 0.5, 0, -1, -1}});
  const ConfigMetrics m = summarize({full}, 100);
  EXPECT_DOUBLE_EQ(m.exact, 1.0);
  EXPECT_FALSE(m.recall);
  EXPECT_FALSE(m.coverage_mean);
  EXPECT_FALSE(m.coverage_p10);
  EXPECT_FALSE(m.compression);
  EXPECT_FALSE(m.ms_per_step);  // one step: its time is the prefill's
}

TEST(EvalMetrics, PercentileNearestRank) {
  EXPECT_FALSE(percentile({}, 0.1));
  EXPECT_DOUBLE_EQ(*percentile({3, 1, 2}, 0.1), 1);
  EXPECT_DOUBLE_EQ(*percentile({3, 1, 2}, 0.5), 2);
  EXPECT_DOUBLE_EQ(*percentile({3, 1, 2}, 1.0), 3);
  std::vector<double> twenty;
  for (int i = 20; i >= 1; --i) twenty.push_back(i);
  EXPECT_DOUBLE_EQ(*percentile(twenty, 0.1), 2);  // rank 2 of 20
}

TEST(EvalMetrics, ExactAndCharactersIgnoreSurroundingBlanks) {
  EXPECT_TRUE(exact_match("cellar", " cellar\n"));
  EXPECT_FALSE(exact_match("cellar", "cellars"));
  EXPECT_DOUBLE_EQ(char_accuracy("cellar", " cellars"), 1.0);
  EXPECT_DOUBLE_EQ(char_accuracy("12345", ""), 0.0);
  EXPECT_DOUBLE_EQ(char_accuracy("12345", "1234"), 0.8);
}

}  // namespace
}  // namespace ssa::eval
