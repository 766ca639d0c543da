#include "engine/decode/chunk_selector.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace ssa {

GistHierarchy::GistHierarchy(const GistLayout& layout, int64_t end) {
  const int levels = layout.num_levels();
  gists_.resize(levels);
  child_begin_.resize(levels);
  if (end < 0 || end > layout.length()) end = layout.length();
  for (int64_t pos = 0; pos < end; ++pos) {
    if (!layout.is_gist(pos)) continue;
    stream_end_ = pos + 1;
    const int level = layout.level(pos);
    gists_[level].push_back(pos);
    // Every lower gist seen so far is a child of this gist or of an earlier
    // one: their count is where this gist's children end (= the next begins).
    if (level >= 1) child_begin_[level].push_back(static_cast<int64_t>(gists_[level - 1].size()));
  }
  for (int level = 1; level < levels; ++level)
    child_begin_[level].insert(child_begin_[level].begin(), 0);
  chunk_begin_.reserve(gists_[0].size());
  int64_t start = 0;
  for (size_t j = 0; j < gists_[0].size(); ++j) {
    const int64_t gist = gists_[0][j];
    // A chunk starts after the previous gist of any level (or at the sink's end).
    int64_t begin = gist;
    while (begin > start && !layout.is_gist(begin - 1)) --begin;
    // (A sink longer than the text holds the first gist too: the chunk is the gist.)
    if (j == 0) begin = std::min(std::max(begin, layout.sink_length()), gist);
    chunk_begin_.push_back(begin);
    start = gist + 1;
  }
}

int64_t level_budget(const SelectionSettings& settings, int64_t level_count, int64_t candidates,
                     int level) {
  const int64_t cap = settings.quarter_cap ? std::max<int64_t>(1, level_count / 4) : level_count;
  return std::min<int64_t>({static_cast<int64_t>(settings.k_at(level)), cap, candidates});
}

std::vector<int64_t> choose_top(const std::vector<int64_t>& candidates,
                                const std::vector<double>& scores, int64_t budget, double top_p) {
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  // Best score first; ties go to the lower index (= the lower stream position).
  // A NaN score (an overflow upstream) ranks last rather than breaking the sort.
  auto key = [&](size_t i) { return std::isnan(scores[i]) ? -HUGE_VAL : scores[i]; };
  auto better = [&](size_t a, size_t b) {
    const double ka = key(a), kb = key(b);
    return ka > kb || (ka == kb && a < b);
  };
  size_t take = static_cast<size_t>(std::max<int64_t>(0, budget));
  if (top_p <= 0 && take < order.size()) {
    // Only the best `take` need an order: O(n log k) for thousands of gists.
    std::partial_sort(order.begin(), order.begin() + take, order.end(), better);
  } else {
    std::sort(order.begin(), order.end(), better);
  }
  if (top_p > 0 && !order.empty()) {
    const double best = scores[order[0]];
    double total = 0;
    for (double s : scores) total += std::exp(s - best);
    double mass = 0;
    take = 0;
    while (take < order.size() && mass < top_p * total)
      mass += std::exp(scores[order[take++]] - best);
  }
  std::vector<int64_t> chosen;
  for (size_t i = 0; i < std::min(take, order.size()); ++i) chosen.push_back(candidates[order[i]]);
  return chosen;
}

std::vector<LevelChoice> select_chunks(const GistHierarchy& hierarchy,
                                       const SelectionSettings& settings, const GistScorer& score) {
  std::vector<LevelChoice> choices;
  const int top = hierarchy.top_level();
  if (hierarchy.count(0) == 0) return choices;
  std::vector<int64_t> candidates(hierarchy.count(top));
  std::iota(candidates.begin(), candidates.end(), 0);
  for (int level = top; level >= 0; --level) {
    for (int64_t j = hierarchy.first_open(level); j < hierarchy.count(level); ++j)
      candidates.push_back(j);
    // Nothing to choose at this level (generated gists below a top level that
    // has none yet): go down to the open gists of the next.
    if (candidates.empty()) continue;
    LevelChoice choice;
    choice.level = level;
    choice.candidates = candidates;
    choice.scores = score(level, candidates);
    if (choice.scores.size() != candidates.size()) {
      throw std::logic_error("scorer returned a wrong number of scores");
    }
    const int64_t budget = level_budget(settings, hierarchy.count(level), candidates.size(), level);
    choice.chosen = choose_top(candidates, choice.scores, budget, settings.top_p);
    // Descend: the next candidates are the children of the chosen gists, in order.
    candidates.clear();
    if (level > 0) {
      std::vector<int64_t> parents = choice.chosen;
      std::sort(parents.begin(), parents.end());
      for (int64_t j : parents) {
        for (int64_t c = hierarchy.first_child(level, j); c < hierarchy.end_child(level, j); ++c) {
          candidates.push_back(c);
        }
      }
    }
    choices.push_back(std::move(choice));
  }
  return choices;
}

}  // namespace ssa
