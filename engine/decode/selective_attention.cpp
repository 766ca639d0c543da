#include "engine/decode/selective_attention.h"

#include <ATen/ATen.h>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "engine/decode/visible_set.h"

namespace ssa {

GqaMode parse_gqa_mode(const std::string& name) {
  if (name == "head") return GqaMode::kHead;
  if (name == "group") return GqaMode::kGroup;
  if (name == "independent") return GqaMode::kIndependent;
  throw std::invalid_argument("GQA mode must be head, group or independent, got '" + name + "'");
}

namespace {

// Scores q . k of the candidates (indices into the level's gists) for the
// query heads in [first_head, first_head + heads), summed over those heads.
// float64, as the reference, so that ties and rankings do not depend on dtype.
std::vector<double> gist_scores(const at::Tensor& q, const at::Tensor& keys, int64_t kv_head,
                                int64_t first_head, int64_t heads, const GistHierarchy& hierarchy,
                                int level, const std::vector<int64_t>& candidates,
                                const std::vector<at::Tensor>* gist_keys) {
  at::Tensor k;
  if (gist_keys) {
    const at::Tensor& level_keys = (*gist_keys)[level];
    k = level_keys[kv_head].index_select(
        0, at::tensor(candidates, at::TensorOptions(at::kLong)).to(level_keys.device()));
  } else {
    std::vector<int64_t> positions;
    positions.reserve(candidates.size());
    for (int64_t c : candidates) positions.push_back(hierarchy.gists(level)[c]);
    const at::Tensor index = at::tensor(positions, at::TensorOptions(at::kLong)).to(keys.device());
    k = keys[kv_head].index_select(0, index).to(at::kDouble);  // [n, D]
  }
  const at::Tensor qh = q.narrow(0, first_head, heads).to(at::kDouble);  // [heads, D]
  const at::Tensor s = at::matmul(qh, k.t()).sum(0).cpu().contiguous();  // [n]
  const double* data = s.data_ptr<double>();
  return std::vector<double>(data, data + s.numel());
}

// q . k of every head with every top-level gist, [H, n_top] float64 on the
// CPU: every unit starts from the whole top level, so it is scored once per
// step with one grouped matmul rather than once per head.
at::Tensor top_level_scores(const at::Tensor& q, const at::Tensor& keys,
                            const GistHierarchy& hierarchy,
                            const std::vector<at::Tensor>* gist_keys) {
  const int top = hierarchy.top_level();
  const int64_t kv_heads = keys.size(0), per_group = q.size(0) / kv_heads;
  at::Tensor k;  // [Hkv, n, D] float64
  if (gist_keys) {
    k = (*gist_keys)[top];
  } else {
    const std::vector<int64_t>& gists = hierarchy.gists(top);
    const at::Tensor index = at::tensor(gists, at::TensorOptions(at::kLong)).to(keys.device());
    k = keys.index_select(1, index).to(at::kDouble);
  }
  const at::Tensor qg = q.to(at::kDouble).view({kv_heads, per_group, q.size(1)});  // [Hkv, G, D]
  return at::matmul(qg, k.transpose(1, 2)).reshape({q.size(0), -1}).cpu().contiguous();
}

// Softmax attention of query heads q [n_heads, D] of one KV group over the
// listed key positions: one gather of the keys for all of them.
at::Tensor attend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                  int64_t kv_head, const std::vector<int64_t>& visible) {
  const at::Tensor index = at::tensor(visible, at::TensorOptions(at::kLong)).to(keys.device());
  // At least fp32 for the softmax, whatever the cache holds (bf16 on GPU).
  const at::ScalarType type = at::promote_types(q.scalar_type(), at::kFloat);
  const at::Tensor k = keys[kv_head].index_select(0, index).to(type);
  const at::Tensor v = values[kv_head].index_select(0, index).to(type);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const at::Tensor w = at::softmax(at::matmul(q.to(type), k.t()) * scale, -1);  // [n_heads, n]
  return at::matmul(w, v).to(q.scalar_type());
}

// A choosing unit: the query heads [first_head, first_head + heads) of KV head kv_head.
struct Unit {
  int64_t kv_head, first_head, heads;
};

int64_t unit_count(int64_t heads, int64_t kv_heads, GqaMode mode) {
  return mode == GqaMode::kGroup ? kv_heads : heads;
}

Unit unit_of(int64_t u, int64_t per_group, GqaMode mode) {
  if (mode == GqaMode::kGroup) return {u, u * per_group, per_group};
  return {u / per_group, u, 1};
}

// The units of KV group g: [first, first + count).
std::pair<int64_t, int64_t> units_of_group(int64_t g, int64_t per_group, GqaMode mode) {
  return mode == GqaMode::kGroup ? std::make_pair(g, int64_t{1})
                                 : std::make_pair(g * per_group, per_group);
}

// Per unit, its full-attention mass per prefix chunk (summed over a group's
// heads in group mode): what the oracle ranks by and coverage measures.
std::vector<std::vector<double>> unit_chunk_masses(const at::Tensor& q, const at::Tensor& keys,
                                                   const GistHierarchy& hierarchy, int64_t query,
                                                   GqaMode mode) {
  const int64_t n_chunks = hierarchy.count(0), kv_heads = keys.size(0);
  const int64_t per_group = q.size(0) / kv_heads;
  const at::Tensor masses =  // [H, n_chunks] float64 CPU
      chunk_masses(full_attention_weights(q, keys.narrow(1, 0, query + 1)), hierarchy);
  std::vector<std::vector<double>> out;
  for (int64_t u = 0; u < unit_count(q.size(0), kv_heads, mode); ++u) {
    const Unit unit = unit_of(u, per_group, mode);
    std::vector<double> mass(n_chunks, 0.0);
    for (int64_t h = unit.first_head; h < unit.first_head + unit.heads; ++h) {
      const double* row = masses.data_ptr<double>() + h * n_chunks;
      for (int64_t j = 0; j < n_chunks; ++j) mass[j] += row[j];
    }
    out.push_back(std::move(mass));
  }
  return out;
}

// SSA selection of one unit: top-level scores from the step's one matmul, the
// levels below scored as the descent reaches them.
std::vector<LevelChoice> select_for_unit(const at::Tensor& q, const at::Tensor& keys,
                                         const GistHierarchy& hierarchy,
                                         const SelectionSettings& selection, const Unit& unit,
                                         const at::Tensor& top_scores,
                                         const std::vector<at::Tensor>* gist_keys) {
  auto scorer = [&](int level, const std::vector<int64_t>& candidates) {
    if (candidates.empty()) return std::vector<double>();
    if (level != hierarchy.top_level()) {
      return gist_scores(q, keys, unit.kv_head, unit.first_head, unit.heads, hierarchy, level,
                         candidates, gist_keys);
    }
    std::vector<double> scores(candidates.size(), 0.0);  // candidates: the whole top level
    for (int64_t h = unit.first_head; h < unit.first_head + unit.heads; ++h) {
      const double* row = top_scores.data_ptr<double>() + h * top_scores.size(1);
      for (size_t i = 0; i < candidates.size(); ++i) scores[i] += row[candidates[i]];
    }
    return scores;
  };
  return select_chunks(hierarchy, selection, scorer);
}

}  // namespace

std::vector<std::vector<LevelChoice>> choose_units(
    const at::Tensor& q, const at::Tensor& keys, const GistLayout& layout,
    const GistHierarchy& hierarchy, MaskSettings mask, int64_t query,
    const SelectionSettings& selection, GqaMode mode, Baseline baseline,
    const std::vector<at::Tensor>* gist_keys, const std::vector<std::vector<double>>& unit_masses) {
  const int64_t kv_heads = keys.size(0), per_group = q.size(0) / kv_heads;
  const int64_t units = unit_count(q.size(0), kv_heads, mode);
  const at::Tensor top_scores =
      baseline == Baseline::kNone && hierarchy.count(hierarchy.top_level()) > 0
          ? top_level_scores(q, keys, hierarchy, gist_keys)
          : at::Tensor();
  // Oracle and recency choose among the chunks whose raw tokens the query does
  // not see already, with the level-0 budget.
  const int64_t unfoldable = unfoldable_chunks(layout, hierarchy, mask, query);
  const int64_t level0_budget = level_budget(selection, hierarchy.count(0), unfoldable, 0);
  std::vector<std::vector<LevelChoice>> choices(units);
  for (int64_t u = 0; u < units; ++u) {
    switch (baseline) {
      case Baseline::kNone:
        choices[u] = select_for_unit(q, keys, hierarchy, selection, unit_of(u, per_group, mode),
                                     top_scores, gist_keys);
        break;
      case Baseline::kOracle:
        if (unfoldable > 0) {
          std::vector<int64_t> candidates(unfoldable);
          std::iota(candidates.begin(), candidates.end(), 0);
          const std::vector<double> scores(unit_masses[u].begin(),
                                           unit_masses[u].begin() + unfoldable);
          choices[u] = choices_unfolding(
              hierarchy, choose_top(candidates, scores, level0_budget, 0), unit_masses[u]);
        }
        break;
      case Baseline::kRecency:
        if (unfoldable > 0)
          choices[u] = choices_unfolding(hierarchy, recent_chunks(unfoldable, level0_budget), {});
        break;
      case Baseline::kGistOnly:
      case Baseline::kFull:
        break;
    }
  }
  return choices;
}

std::vector<std::vector<int64_t>> visible_sets(const GistLayout& layout,
                                               const GistHierarchy& hierarchy, MaskSettings mask,
                                               int64_t query,
                                               const std::vector<std::vector<LevelChoice>>& choices,
                                               Baseline baseline) {
  if (baseline == Baseline::kGistOnly)
    return std::vector<std::vector<int64_t>>(choices.size(),
                                             training_row_keys(layout, mask, query));
  std::vector<std::vector<int64_t>> sets;
  for (const auto& unit : choices)
    sets.push_back(visible_keys(layout, hierarchy, mask, query, unit));
  return sets;
}

at::Tensor attend_visible(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                          const std::vector<std::vector<int64_t>>& visible, GqaMode mode) {
  const int64_t kv_heads = keys.size(0), per_group = q.size(0) / kv_heads;
  std::vector<at::Tensor> outputs;
  for (int64_t g = 0; g < kv_heads; ++g) {
    const auto [first, count] = units_of_group(g, per_group, mode);
    if (mode == GqaMode::kIndependent) {
      for (int64_t h = first; h < first + count; ++h)
        outputs.push_back(attend(q.narrow(0, h, 1), keys, values, g, visible[h]));
    } else {
      // The group's heads share one visible set.
      const std::vector<std::vector<int64_t>> group(visible.begin() + first,
                                                    visible.begin() + first + count);
      outputs.push_back(
          attend(q.narrow(0, g * per_group, per_group), keys, values, g, union_of(group)));
    }
  }
  return at::cat(outputs, 0);
}

namespace {

void check_shapes(const at::Tensor& q, const at::Tensor& keys, int64_t query) {
  if (q.size(0) % keys.size(0) != 0)
    throw std::invalid_argument("query heads must be a multiple of KV heads");
  if (keys.size(1) <= query)
    throw std::invalid_argument("the KV cache must reach the query position");
}

// Per KV group, averaged over groups: distinct gists scored by its units, and
// keys read (the union of its units' visible sets).
void count_keys(SelectiveAttentionResult& r, const GistHierarchy& hierarchy,
                const std::vector<std::vector<int64_t>>& visible, int64_t heads, int64_t kv_heads,
                GqaMode mode, Baseline baseline, int64_t query) {
  const int64_t per_group = heads / kv_heads;
  for (int64_t g = 0; g < kv_heads; ++g) {
    const auto [first, count] = units_of_group(g, per_group, mode);
    std::vector<std::vector<int64_t>> scored;
    for (int64_t u = first; u < first + count; ++u) {
      for (const LevelChoice& choice : r.choices[u]) {
        std::vector<int64_t> positions;
        for (int64_t c : choice.candidates) positions.push_back(hierarchy.gists(choice.level)[c]);
        scored.push_back(std::move(positions));
      }
    }
    const std::vector<std::vector<int64_t>> group(visible.begin() + first,
                                                  visible.begin() + first + count);
    const double group_scored = baseline == Baseline::kOracle ? static_cast<double>(query + 1)
                                : baseline == Baseline::kNone
                                    ? static_cast<double>(union_of(scored).size())
                                    : 0.0;
    r.keys_scored += group_scored / kv_heads;
    r.keys_read += static_cast<double>(union_of(group).size()) / kv_heads;
  }
}

// Mean over units of the share of their full-attention mass over the
// unfoldable chunks that their unfolded chunks carry.
double mean_coverage(const std::vector<std::vector<LevelChoice>>& choices,
                     const std::vector<std::vector<double>>& unit_masses, int64_t unfoldable) {
  double coverage = 0;
  for (size_t u = 0; u < choices.size(); ++u) {
    if (unfoldable > 0 && !choices[u].empty())
      coverage += mass_coverage(unit_masses[u].data(), unfoldable, choices[u].back().chosen);
  }
  return coverage / static_cast<double>(choices.size());
}

}  // namespace

SelectiveAttentionResult selective_attention(const at::Tensor& q, const at::Tensor& keys,
                                             const at::Tensor& values, const GistLayout& layout,
                                             const GistHierarchy& hierarchy, MaskSettings mask,
                                             int64_t query, const SelectionSettings& selection,
                                             GqaMode mode,
                                             const SelectiveAttentionOptions& options) {
  check_shapes(q, keys, query);
  const Baseline baseline = options.baseline;
  if (baseline == Baseline::kFull)
    throw std::invalid_argument("full attention is not a selection: use full_attention()");
  // The true full-attention mass per unit and chunk: the oracle ranks by it,
  // the shadow measures the chosen chunks' share of it.
  const bool need_masses = options.shadow_full || baseline == Baseline::kOracle;
  const std::vector<std::vector<double>> masses =
      need_masses && hierarchy.count(0) > 0 ? unit_chunk_masses(q, keys, hierarchy, query, mode)
                                            : std::vector<std::vector<double>>();

  SelectiveAttentionResult r;
  r.choices = choose_units(q, keys, layout, hierarchy, mask, query, selection, mode, baseline,
                           options.gist_keys, masses);
  const std::vector<std::vector<int64_t>> visible =
      visible_sets(layout, hierarchy, mask, query, r.choices, baseline);
  r.output = attend_visible(q, keys, values, visible, mode);

  count_keys(r, hierarchy, visible, q.size(0), keys.size(0), mode, baseline, query);
  if (options.shadow_full)
    r.full_mass_coverage =
        mean_coverage(r.choices, masses, unfoldable_chunks(layout, hierarchy, mask, query));
  return r;
}

SelectiveAttentionResult training_row_attention(const at::Tensor& q, const at::Tensor& keys,
                                                const at::Tensor& values, const GistLayout& layout,
                                                MaskSettings mask, int64_t query, GqaMode mode) {
  check_shapes(q, keys, query);
  const int64_t units = unit_count(q.size(0), keys.size(0), mode);
  SelectiveAttentionResult r;
  r.choices.assign(units, {});
  const std::vector<std::vector<int64_t>> visible(units, training_row_keys(layout, mask, query));
  r.output = attend_visible(q, keys, values, visible, mode);
  r.keys_read = static_cast<double>(visible[0].size());
  return r;
}

std::vector<at::Tensor> gather_gist_keys(const at::Tensor& keys, const GistHierarchy& hierarchy) {
  std::vector<at::Tensor> per_level;
  for (int level = 0; level < hierarchy.num_levels(); ++level) {
    const at::Tensor index =
        at::tensor(hierarchy.gists(level), at::TensorOptions(at::kLong)).to(keys.device());
    per_level.push_back(keys.index_select(1, index).to(at::kDouble).contiguous());
  }
  return per_level;
}

at::Tensor full_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values) {
  const int64_t kv_heads = keys.size(0), per_group = q.size(0) / kv_heads, d = q.size(1);
  const at::ScalarType type = at::promote_types(q.scalar_type(), at::kFloat);
  const at::Tensor qg = q.to(type).view({kv_heads, per_group, d});  // [Hkv, G, D]
  const at::Tensor w =
      at::softmax(at::matmul(qg, keys.to(type).transpose(1, 2)) / std::sqrt(double(d)), -1);
  return at::matmul(w, values.to(type)).reshape({q.size(0), d}).to(q.scalar_type());
}

void report_selection(trace::Observer& observer, int64_t step, int32_t layer,
                      const GistHierarchy& hierarchy, const SelectiveAttentionResult& result) {
  for (size_t unit = 0; unit < result.choices.size(); ++unit) {
    for (const LevelChoice& choice : result.choices[unit]) {
      trace::ChunkScores scores;
      scores.layer = layer;
      scores.head = static_cast<int32_t>(unit);
      scores.level = choice.level;
      for (int64_t c : choice.candidates)
        scores.candidates.push_back(hierarchy.gists(choice.level)[c]);
      scores.scores.assign(choice.scores.begin(), choice.scores.end());
      observer.on_chunk_scores(step, scores);
      trace::Selection selection;
      selection.layer = layer;
      selection.head = static_cast<int32_t>(unit);
      selection.level = choice.level;
      for (int64_t c : choice.chosen) selection.chosen.push_back(hierarchy.gists(choice.level)[c]);
      observer.on_selection(step, selection);
    }
  }
}

}  // namespace ssa
