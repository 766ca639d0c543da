#include "engine/decode/baselines.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "engine/mask/training_mask.h"

namespace ssa {

Baseline parse_baseline(const std::string& name) {
  if (name == "none") return Baseline::kNone;
  if (name == "full") return Baseline::kFull;
  if (name == "gist-only") return Baseline::kGistOnly;
  if (name == "oracle") return Baseline::kOracle;
  if (name == "recency") return Baseline::kRecency;
  throw std::invalid_argument("baseline must be none, full, gist-only, oracle or recency, got '" +
                              name + "'");
}

const char* baseline_name(Baseline baseline) {
  switch (baseline) {
    case Baseline::kNone:
      return "none";
    case Baseline::kFull:
      return "full";
    case Baseline::kGistOnly:
      return "gist-only";
    case Baseline::kOracle:
      return "oracle";
    case Baseline::kRecency:
      return "recency";
  }
  return "?";
}

std::vector<int64_t> training_row_keys(const GistLayout& layout, MaskSettings mask, int64_t query) {
  const MaskRuleView rule = mask_rule_view(layout, mask);
  std::vector<int64_t> keys;
  for (int64_t k = 0; k <= query; ++k) {
    if (training_mask_allows(rule, query, k)) keys.push_back(k);
  }
  return keys;
}

std::vector<LevelChoice> choices_unfolding(const GistHierarchy& hierarchy,
                                           const std::vector<int64_t>& chunks,
                                           const std::vector<double>& chunk_scores) {
  const int top = hierarchy.top_level();
  std::vector<LevelChoice> bottom_up;
  LevelChoice level0;
  level0.level = 0;
  if (!chunk_scores.empty()) {
    level0.candidates.resize(hierarchy.count(0));
    std::iota(level0.candidates.begin(), level0.candidates.end(), 0);
    level0.scores = chunk_scores;
  } else {
    level0.candidates = chunks;
    std::sort(level0.candidates.begin(), level0.candidates.end());
    level0.scores.assign(level0.candidates.size(), 0.0);
  }
  level0.chosen = chunks;
  bottom_up.push_back(std::move(level0));
  for (int level = 1; level <= top; ++level) {
    const LevelChoice& below = bottom_up.back();
    // Score of a gist: the sum over its children's (so, over its chunks).
    std::vector<double> child_score(hierarchy.count(level - 1), 0.0);
    for (size_t i = 0; i < below.candidates.size(); ++i)
      child_score[below.candidates[i]] = below.scores[i];
    std::vector<bool> is_chosen_child(hierarchy.count(level - 1), false);
    for (int64_t c : below.chosen) is_chosen_child[c] = true;
    LevelChoice choice;
    choice.level = level;
    std::vector<double> chosen_scores;
    for (int64_t j = 0; j < hierarchy.count(level); ++j) {
      double score = 0;
      bool ancestor = false;
      for (int64_t c = hierarchy.first_child(level, j); c < hierarchy.end_child(level, j); ++c) {
        score += child_score[c];
        ancestor = ancestor || is_chosen_child[c];
      }
      if (chunk_scores.empty() && !ancestor) continue;  // unscored: offer the chosen only
      choice.candidates.push_back(j);
      choice.scores.push_back(score);
      if (ancestor) {
        choice.chosen.push_back(j);
        chosen_scores.push_back(score);
      }
    }
    // Best first, like a real choice (ties: the lower index).
    std::vector<size_t> order(choice.chosen.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return chosen_scores[a] > chosen_scores[b]; });
    std::vector<int64_t> ranked;
    for (size_t i : order) ranked.push_back(choice.chosen[i]);
    choice.chosen = std::move(ranked);
    bottom_up.push_back(std::move(choice));
  }
  return std::vector<LevelChoice>(bottom_up.rbegin(), bottom_up.rend());
}

std::vector<int64_t> recent_chunks(int64_t end, int64_t budget) {
  std::vector<int64_t> chunks;
  for (int64_t j = end - 1; j >= 0 && static_cast<int64_t>(chunks.size()) < budget; --j) {
    chunks.push_back(j);  // newest first: "best" first
  }
  return chunks;
}

int64_t unfoldable_chunks(const GistLayout& layout, const GistHierarchy& hierarchy,
                          MaskSettings mask, int64_t query) {
  const int64_t first_local = layout.chunk_id(query) - mask.previous_chunks;
  return std::clamp<int64_t>(first_local, 0, hierarchy.count(0));
}

at::Tensor full_attention_weights(const at::Tensor& q, const at::Tensor& keys) {
  const int64_t kv_heads = keys.size(0), per_group = q.size(0) / kv_heads, d = q.size(1);
  const at::Tensor qg = q.to(at::kDouble).view({kv_heads, per_group, d});
  const at::Tensor logits =
      at::matmul(qg, keys.to(at::kDouble).transpose(1, 2)) / std::sqrt(double(d));
  return at::softmax(logits, -1).reshape({q.size(0), keys.size(1)}).cpu().contiguous();
}

at::Tensor chunk_masses(const at::Tensor& weights, const GistHierarchy& hierarchy) {
  const int64_t n = hierarchy.count(0);
  const at::TensorOptions longs = at::TensorOptions(at::kLong);
  if (n == 0) return at::zeros({weights.size(0), 0}, weights.options());
  // Prefix sums with a leading zero: the mass of [b, e) is cs[e] - cs[b].
  const at::Tensor cs =
      at::cat({at::zeros({weights.size(0), 1}, weights.options()), weights.cumsum(1)}, 1);
  std::vector<int64_t> begins(n), ends(n);
  for (int64_t j = 0; j < n; ++j) {
    begins[j] = hierarchy.chunk_begin(j);
    ends[j] = hierarchy.chunk_end(j);
  }
  return (cs.index_select(1, at::tensor(ends, longs)) -
          cs.index_select(1, at::tensor(begins, longs)))
      .contiguous();
}

double mass_coverage(const double* masses, int64_t n_chunks, const std::vector<int64_t>& chosen) {
  double total = 0, covered = 0;
  for (int64_t j = 0; j < n_chunks; ++j) total += masses[j];
  for (int64_t j : chosen) covered += j < n_chunks ? masses[j] : 0.0;
  return total > 0 ? covered / total : 0.0;
}

}  // namespace ssa
