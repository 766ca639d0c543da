#include "engine/decode/budget.h"

#include <stdexcept>

namespace ssa {

BudgetMode parse_budget_mode(const std::string& name) {
  if (name == "fixed") return BudgetMode::kFixed;
  if (name == "auto") return BudgetMode::kAuto;
  if (name == "reference") return BudgetMode::kReference;
  if (name == "top-p") return BudgetMode::kTopP;
  throw std::invalid_argument("budget must be fixed, auto, reference or top-p, got '" + name + "'");
}

const char* budget_mode_name(BudgetMode mode) {
  switch (mode) {
    case BudgetMode::kFixed:
      return "fixed";
    case BudgetMode::kAuto:
      return "auto";
    case BudgetMode::kReference:
      return "reference";
    case BudgetMode::kTopP:
      return "top-p";
  }
  return "?";
}

int automatic_budget(int64_t n_keys, int64_t compression, int heads_per_group, int chunk) {
  if (compression < 1 || heads_per_group < 1 || chunk < 1) {
    throw std::invalid_argument("automatic budget needs positive compression, heads and chunk");
  }
  return static_cast<int>(n_keys / compression / heads_per_group / chunk + 1);
}

int64_t reference_compression(const LayoutSettings& layout) {
  const int64_t c = layout.chunk;
  return layout.group_sizes.empty() ? c : c * layout.group_sizes[0];
}

void check_budget(BudgetMode mode, const SelectionSettings& user) {
  if (mode == BudgetMode::kTopP && !(user.top_p > 0 && user.top_p <= 1))
    throw std::invalid_argument("the top-p budget needs top_p in (0, 1]");
  if (mode != BudgetMode::kTopP && user.top_p != 0)
    throw std::invalid_argument(std::string("top_p is set but the budget is ") +
                                budget_mode_name(mode));
  if (mode == BudgetMode::kReference && !user.quarter_cap)
    throw std::invalid_argument("the reference budget always applies the quarter cap");
}

SelectionSettings budget_selection(BudgetMode mode, const SelectionSettings& user, int64_t n_keys,
                                   const LayoutSettings& layout, int heads_per_group) {
  SelectionSettings s = user;
  s.level_k.clear();
  if (mode == BudgetMode::kFixed || mode == BudgetMode::kTopP) return s;
  const int k =
      automatic_budget(n_keys, reference_compression(layout), heads_per_group, layout.chunk);
  if (mode == BudgetMode::kAuto) {
    s.k = k;
  } else {  // kReference: the formula at levels 0 and 1, the user's k above
    s.level_k = {k, k};
    s.quarter_cap = true;
  }
  return s;
}

}  // namespace ssa
