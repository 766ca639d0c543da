#include "engine/decode/device_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "engine/decode/visible_set.h"
#include "engine/mask/training_mask.h"

namespace ssa {

std::vector<int> level_budgets(const SelectionSettings& selection, int num_levels) {
  std::vector<int> k(num_levels);
  for (int level = 0; level < num_levels; ++level) k[level] = selection.k_at(level);
  return k;
}

namespace {

int32_t to_int32(int64_t v) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    throw std::length_error("the GPU decode path indexes positions with int32");
  return static_cast<int32_t>(v);
}

}  // namespace

LocalKeys local_keys(const GistLayout& layout, const GistHierarchy& hierarchy, MaskSettings mask,
                     int64_t query) {
  const std::vector<int64_t> keys = training_row_keys(layout, hierarchy, mask, query);
  // The first position of chunk (own - p): no chunk ending before it is local.
  const int64_t first_chunk = std::max<int64_t>(0, layout.chunk_id(query) - mask.previous_chunks);
  int64_t from = query;
  while (from > 0 && layout.chunk_id(from - 1) >= first_chunk) --from;

  LocalKeys local;
  for (int64_t k : keys) {
    if (!local.ranges.empty() && local.ranges.back().second == k) {
      ++local.ranges.back().second;
    } else {
      local.ranges.push_back({k, k + 1});
    }
  }
  // Which chunks' raw tokens are in: count them per chunk from the last one
  // down to the first chunk that ends before `from` (none below it can be).
  auto raw_in_keys = [&](int64_t j, int64_t* raw) {
    int64_t in = 0;
    *raw = hierarchy.chunk_end(j) - 1 - hierarchy.chunk_begin(j);  // the gist ends the chunk
    for (int64_t k = hierarchy.chunk_begin(j); k + 1 < hierarchy.chunk_end(j); ++k)
      in += std::binary_search(keys.begin(), keys.end(), k) ? 1 : 0;
    return in;
  };
  const int64_t chunks = hierarchy.count(0);
  local.local_chunk_begin = chunks;
  bool below = false;  // a chunk with raw tokens outside the keys was seen
  for (int64_t j = chunks - 1; j >= 0; --j) {
    int64_t raw = 0;
    const int64_t in = raw_in_keys(j, &raw);
    if (in != 0 && in != raw) throw std::logic_error("local keys: a chunk is partly local");
    if (raw > 0 && in == raw && below)
      throw std::logic_error("local keys: a local chunk below a non-local one");
    if (raw > 0 && in == 0) below = true;
    if (!below) local.local_chunk_begin = j;
    if (hierarchy.chunk_end(j) <= from) break;
  }
  return local;
}

std::vector<int64_t> training_row_gists(const GistLayout& layout, const GistHierarchy& hierarchy,
                                        MaskSettings mask, int64_t query) {
  const MaskRuleView rule = mask_rule_view(layout, mask);
  std::vector<int64_t> gists;
  for (int level = 0; level < hierarchy.num_levels(); ++level) {
    for (int64_t pos : hierarchy.gists(level)) {
      if (pos <= query && training_mask_allows(rule, query, pos)) gists.push_back(pos);
    }
  }
  std::sort(gists.begin(), gists.end());
  return gists;
}

HierarchyArrays hierarchy_arrays(const GistHierarchy& hierarchy) {
  HierarchyArrays a;
  const int levels = hierarchy.num_levels();
  a.gist_position.resize(levels);
  a.child_begin.resize(levels);
  for (int level = 0; level < levels; ++level) {
    for (int64_t pos : hierarchy.gists(level)) a.gist_position[level].push_back(to_int32(pos));
    if (level == 0) continue;
    const int64_t n = hierarchy.count(level);
    for (int64_t j = 0; j < n; ++j)
      a.child_begin[level].push_back(to_int32(hierarchy.first_child(level, j)));
    a.child_begin[level].push_back(n > 0 ? to_int32(hierarchy.end_child(level, n - 1)) : 0);
  }
  for (int64_t j = 0; j < hierarchy.count(0); ++j)
    a.chunk_begin.push_back(to_int32(hierarchy.chunk_begin(j)));
  return a;
}

kernels::SequenceStep sequence_step(const GistLayout& layout, const GistHierarchy& hierarchy,
                                    MaskSettings mask, int64_t query,
                                    const std::vector<int>& budgets, int64_t row_gist_count) {
  if (hierarchy.num_levels() > kernels::kMaxLevels)
    throw std::length_error("the GPU decode path handles at most 6 gist levels");
  kernels::SequenceStep s;
  s.query = to_int32(query);
  for (int level = 0; level < hierarchy.num_levels(); ++level) {
    s.count[level] = to_int32(hierarchy.count(level));
    s.first_open[level] = to_int32(hierarchy.first_open(level));
    s.k_request[level] = budgets.at(level);
  }
  const LocalKeys local = local_keys(layout, hierarchy, mask, query);
  if (local.ranges.size() > static_cast<size_t>(kernels::kMaxLocalRanges))
    throw std::length_error("the query's local keys form more than 16 ranges");
  s.local_chunk_begin = to_int32(local.local_chunk_begin);
  s.sink_end = to_int32(std::min(layout.sink_length(), query + 1));
  s.num_ranges = static_cast<int32_t>(local.ranges.size());
  for (size_t r = 0; r < local.ranges.size(); ++r) {
    s.range_begin[r] = to_int32(local.ranges[r].first);
    s.range_end[r] = to_int32(local.ranges[r].second);
  }
  s.row_gist_count = to_int32(row_gist_count);
  if (layout.is_gist(query)) {
    s.append_level = layout.level(query);
    s.append_index = layout.id(query, s.append_level);
  }
  return s;
}

WorkspacePlan plan_workspace(const std::vector<int64_t>& group_sizes,
                             const std::vector<int64_t>& gist_capacity, int64_t kv_capacity,
                             int64_t max_chunk, int32_t mode, int32_t group_size, bool top_p,
                             int k_max, int keys_per_split) {
  const int L = static_cast<int>(gist_capacity.size());
  if (L < 1 || static_cast<int>(group_sizes.size()) != L - 1)
    throw std::invalid_argument("workspace plan: one gist capacity per level");
  WorkspacePlan w;
  w.units_per_group = kernels::units_per_group(mode, group_size);
  w.attention_units_per_group = kernels::attention_units_per_group(mode, group_size);
  const int64_t U = w.units_per_group;
  w.candidate_capacity.assign(L, 1);
  w.chosen_capacity.assign(L, 1);
  w.slices.assign(L, 1);
  for (int level = L - 1; level >= 0; --level) {
    int64_t cap = gist_capacity[level];
    if (level < L - 1) {
      const int64_t c = group_sizes[level];
      cap = std::min(cap, U * w.chosen_capacity[level + 1] * c + c);
    }
    w.candidate_capacity[level] = to_int32(std::max<int64_t>(cap, 1));
    w.chosen_capacity[level] = top_p ? w.candidate_capacity[level]
                                     : std::min(std::max(k_max, 1), w.candidate_capacity[level]);
    w.slices[level] = (w.candidate_capacity[level] + kernels::kSliceSize - 1) / kernels::kSliceSize;
  }
  w.max_slices = *std::max_element(w.slices.begin(), w.slices.end());
  w.partial_capacity =
      top_p ? kernels::kSliceSize : std::min(kernels::kSliceSize, std::max(k_max, 1));
  // Units whose chosen sets make up one attention unit's visible list.
  const int64_t contributing = mode == kernels::kIndependentUnits ? 1 : U;
  int64_t union_max = 1, visible = 0;
  for (int level = 0; level < L; ++level) {
    union_max = std::max<int64_t>(union_max, U * w.chosen_capacity[level]);
    visible += std::min<int64_t>(contributing * w.chosen_capacity[level], gist_capacity[level]) *
               (level == 0 ? std::max<int64_t>(max_chunk, 1) : 1);
  }
  w.sort_capacity = kernels::next_pow2(to_int32(union_max));
  w.visible_capacity = to_int32(std::max<int64_t>(1, std::min(visible, kv_capacity)));
  for (int64_t c : gist_capacity) w.row_capacity += c;
  w.kv_capacity = kv_capacity;
  w.max_chunk = std::max<int64_t>(max_chunk, 1);
  w.keys_per_split = keys_per_split;
  return w;
}

int32_t WorkspacePlan::attention_splits(int32_t source) const {
  const int64_t keys = source == kernels::kAllKeys       ? kv_capacity
                       : source == kernels::kTrainingRow ? row_capacity + 3 * max_chunk
                                                         : visible_capacity + 3 * max_chunk;
  const int64_t per = std::max(keys_per_split, kernels::kAttendTile);
  return static_cast<int32_t>(
      std::clamp<int64_t>((keys + per - 1) / per, 1, kernels::kMaxAttendSplits));
}

int auto_keys_per_split(const WorkspacePlan& plan, int64_t attention_units, int multiprocessors) {
  WorkspacePlan trial = plan;
  for (int per : {256, 128}) {
    trial.keys_per_split = per;
    if (attention_units * trial.attention_splits(kernels::kSelectedKeys) >= multiprocessors)
      return per;
  }
  return 64;
}

GroupCandidates group_candidates(const GistHierarchy& hierarchy, int level,
                                 const std::vector<std::vector<int64_t>>& chosen_above) {
  const size_t units = chosen_above.size();
  const uint32_t all = units >= 32 ? 0xFFFFFFFFu : (1u << units) - 1u;
  GroupCandidates c;
  if (level == hierarchy.top_level()) {
    c.gists.resize(hierarchy.count(level));
    std::iota(c.gists.begin(), c.gists.end(), 0);
    c.units.assign(c.gists.size(), all);
    return c;
  }
  std::vector<std::pair<int64_t, uint32_t>> parents;
  for (size_t u = 0; u < units; ++u) {
    for (int64_t j : chosen_above[u]) parents.push_back({j, 1u << u});
  }
  std::sort(parents.begin(), parents.end());
  for (size_t i = 0; i < parents.size();) {
    uint32_t bits = 0;
    size_t e = i;
    for (; e < parents.size() && parents[e].first == parents[i].first; ++e)
      bits |= parents[e].second;
    const int64_t j = parents[i].first;
    for (int64_t child = hierarchy.first_child(level + 1, j);
         child < hierarchy.end_child(level + 1, j); ++child) {
      c.gists.push_back(child);
      c.units.push_back(bits);
    }
    i = e;
  }
  for (int64_t j = hierarchy.first_open(level); j < hierarchy.count(level); ++j) {
    c.gists.push_back(j);
    c.units.push_back(all);
  }
  return c;
}

std::vector<std::vector<LevelChoice>> device_choices(
    const GistHierarchy& hierarchy, const std::vector<std::vector<std::vector<int64_t>>>& chosen,
    const std::vector<std::vector<std::vector<float>>>& scores) {
  const size_t units = chosen.size();
  std::vector<std::vector<LevelChoice>> out(units);
  if (hierarchy.count(0) == 0) return out;
  for (int level = hierarchy.top_level(); level >= 0; --level) {
    std::vector<std::vector<int64_t>> above(units);
    if (level < hierarchy.top_level()) {
      for (size_t u = 0; u < units; ++u) above[u] = chosen[u][level + 1];
    }
    const GroupCandidates group = group_candidates(hierarchy, level, above);
    for (size_t u = 0; u < units; ++u) {
      LevelChoice choice;
      choice.level = level;
      for (size_t i = 0; i < group.gists.size(); ++i) {
        if (!((group.units[i] >> u) & 1u)) continue;
        choice.candidates.push_back(group.gists[i]);
        choice.scores.push_back(scores.empty() ? 0.0 : scores[u][level][i]);
      }
      if (choice.candidates.empty()) continue;
      choice.chosen = chosen[u][level];
      if (!scores.empty()) {
        // Best first, as choose_top leaves them (ties: the lower index).
        auto score_of = [&](int64_t j) {
          const auto it = std::lower_bound(choice.candidates.begin(), choice.candidates.end(), j);
          const double s = choice.scores[it - choice.candidates.begin()];
          return std::isnan(s) ? -HUGE_VAL : s;
        };
        std::stable_sort(choice.chosen.begin(), choice.chosen.end(),
                         [&](int64_t a, int64_t b) { return score_of(a) > score_of(b); });
      }
      out[u].push_back(std::move(choice));
    }
  }
  return out;
}

std::vector<std::vector<LevelChoice>> choices_from_buffers(
    const GistHierarchy& hierarchy, int64_t groups, int64_t units,
    const std::vector<LevelBuffers>& levels) {
  const int L = static_cast<int>(levels.size());
  const bool with_scores = L > 0 && levels[0].scores != nullptr;
  std::vector<std::vector<LevelChoice>> out;
  for (int64_t g = 0; g < groups; ++g) {
    std::vector<std::vector<std::vector<int64_t>>> chosen(units,
                                                          std::vector<std::vector<int64_t>>(L));
    for (int64_t u = 0; u < units; ++u) {
      for (int level = 0; level < L; ++level) {
        const LevelBuffers& b = levels[level];
        const int64_t row = g * units + u;
        const int32_t* p = b.chosen + row * b.chosen_capacity;
        chosen[u][level].assign(p, p + std::clamp(b.count[row], 0, b.chosen_capacity));
      }
    }
    // Scores are by the group's candidate slots, which follow from the choices above.
    std::vector<std::vector<std::vector<float>>> scores;
    if (with_scores) {
      scores.assign(units, std::vector<std::vector<float>>(L));
      for (int level = L - 1; level >= 0; --level) {
        std::vector<std::vector<int64_t>> above(units);
        for (int64_t u = 0; u < units && level + 1 < L; ++u) above[u] = chosen[u][level + 1];
        const LevelBuffers& b = levels[level];
        const int64_t n = std::min<int64_t>(group_candidates(hierarchy, level, above).gists.size(),
                                            b.score_capacity);
        for (int64_t u = 0; u < units; ++u) {
          const float* p = b.scores + (g * units + u) * b.score_capacity;
          scores[u][level].assign(p, p + n);
        }
      }
    }
    for (auto& unit : device_choices(hierarchy, chosen, scores)) out.push_back(std::move(unit));
  }
  return out;
}

}  // namespace ssa
