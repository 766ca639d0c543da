// The budget modes (ssa-spec.md, "Inference" 6; engine/decode/budget.h): the
// reference's formula with its integer divisions, comp = c or c x c1, the
// levels each mode sets, and the settings each mode refuses.
#include "engine/decode/budget.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ssa {
namespace {

TEST(Budget, AutomaticBudgetIsTheReferenceRule) {
  EXPECT_EQ(automatic_budget(4096, 8, 2, 8), 33);   // 4096/8/2/8 + 1
  EXPECT_EQ(automatic_budget(4096, 16, 1, 4), 65);  // chunk4-chunk4: comp 16
  EXPECT_EQ(automatic_budget(10, 8, 4, 8), 1);
  EXPECT_EQ(automatic_budget(4672, 8, 2, 8), 37);   // ssa-small at 4,096 bytes: 4672/128 + 1
  EXPECT_EQ(automatic_budget(4671, 16, 3, 4), 25);  // each division truncates: 291, 97, 24
  EXPECT_THROW(automatic_budget(10, 0, 1, 1), std::invalid_argument);
}

TEST(Budget, CompressionIsChunkTimesTheFirstGroupOnly) {
  EXPECT_EQ(reference_compression(parse_hierarchy("chunk8")), 8);
  EXPECT_EQ(reference_compression(parse_hierarchy("chunk4-chunk4")), 16);
  EXPECT_EQ(reference_compression(parse_hierarchy("chunk8-chunk4")), 32);
  EXPECT_EQ(reference_compression(parse_hierarchy("chunk2-chunk4-chunk8")), 8);  // never x c2
}

TEST(Budget, NamesReadBack) {
  for (BudgetMode m :
       {BudgetMode::kFixed, BudgetMode::kAuto, BudgetMode::kReference, BudgetMode::kTopP})
    EXPECT_EQ(parse_budget_mode(budget_mode_name(m)), m);
  EXPECT_THROW(parse_budget_mode("foo"), std::invalid_argument);
  EXPECT_THROW(parse_budget_mode("topp"), std::invalid_argument);
}

TEST(Budget, EachModeSetsItsLevels) {
  const LayoutSettings hssa = parse_hierarchy("chunk4-chunk2-chunk2");  // comp 8
  SelectionSettings user;
  user.k = 3;
  user.quarter_cap = true;
  const int64_t n_keys = 1000;  // 1000 / 8 / 2 / 4 + 1 = 16
  const SelectionSettings fixed = budget_selection(BudgetMode::kFixed, user, n_keys, hssa, 2);
  for (int level : {0, 1, 2}) EXPECT_EQ(fixed.k_at(level), 3);
  const SelectionSettings automatic = budget_selection(BudgetMode::kAuto, user, n_keys, hssa, 2);
  for (int level : {0, 1, 2}) EXPECT_EQ(automatic.k_at(level), 16);
  const SelectionSettings reference =
      budget_selection(BudgetMode::kReference, user, n_keys, hssa, 2);
  EXPECT_EQ(reference.k_at(0), 16);
  EXPECT_EQ(reference.k_at(1), 16);
  EXPECT_EQ(reference.k_at(2), 3);  // the user's k above level 1
  EXPECT_TRUE(reference.quarter_cap);
  SelectionSettings no_cap = user;
  no_cap.quarter_cap = false;
  EXPECT_FALSE(budget_selection(BudgetMode::kAuto, no_cap, n_keys, hssa, 2).quarter_cap);
  SelectionSettings p = user;
  p.top_p = 0.9;
  const SelectionSettings top_p = budget_selection(BudgetMode::kTopP, p, n_keys, hssa, 2);
  EXPECT_EQ(top_p.top_p, 0.9);
  EXPECT_TRUE(top_p.level_k.empty());
}

TEST(Budget, ChecksTheSettingsEachModeNeeds) {
  SelectionSettings s;
  EXPECT_NO_THROW(check_budget(BudgetMode::kFixed, s));
  EXPECT_NO_THROW(check_budget(BudgetMode::kReference, s));
  EXPECT_THROW(check_budget(BudgetMode::kTopP, s), std::invalid_argument);
  s.top_p = 0.5;
  EXPECT_NO_THROW(check_budget(BudgetMode::kTopP, s));
  EXPECT_THROW(check_budget(BudgetMode::kAuto, s), std::invalid_argument);
  s.top_p = 0;
  s.quarter_cap = false;
  EXPECT_NO_THROW(check_budget(BudgetMode::kFixed, s));
  EXPECT_THROW(check_budget(BudgetMode::kReference, s), std::invalid_argument);
}

}  // namespace
}  // namespace ssa
