#include "engine/decode/selective_attention.h"

#include <ATen/ATen.h>

#include <cmath>
#include <numeric>
#include <stdexcept>

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

}  // namespace

SelectiveAttentionResult selective_attention(const at::Tensor& q, const at::Tensor& keys,
                                             const at::Tensor& values, const GistLayout& layout,
                                             const GistHierarchy& hierarchy, MaskSettings mask,
                                             int64_t query, const SelectionSettings& selection,
                                             GqaMode mode,
                                             const SelectiveAttentionOptions& options) {
  const int64_t heads = q.size(0), kv_heads = keys.size(0);
  if (heads % kv_heads != 0)
    throw std::invalid_argument("query heads must be a multiple of KV heads");
  if (keys.size(1) <= query)
    throw std::invalid_argument("the KV cache must reach the query position");
  if (options.baseline == Baseline::kFull)
    throw std::invalid_argument("full attention is not a selection: use full_attention()");
  const int64_t per_group = heads / kv_heads;
  const Baseline baseline = options.baseline;

  // True full-attention mass per head and prefix chunk: the oracle ranks by
  // it, the shadow measures the chosen chunks' share of it.
  at::Tensor masses;  // [H, n_chunks] float64 CPU
  if ((options.shadow_full || baseline == Baseline::kOracle) && hierarchy.count(0) > 0) {
    masses = chunk_masses(full_attention_weights(q, keys.narrow(1, 0, query + 1)), hierarchy);
  }
  const int64_t n_chunks = hierarchy.count(0);

  SelectiveAttentionResult result;
  std::vector<std::vector<int64_t>> visible_of_unit;
  const at::Tensor top_scores =
      baseline == Baseline::kNone && hierarchy.count(hierarchy.top_level()) > 0
          ? top_level_scores(q, keys, hierarchy, options.gist_keys)
          : at::Tensor();
  const std::vector<int64_t> training_row = baseline == Baseline::kGistOnly
                                                ? training_row_keys(layout, mask, query)
                                                : std::vector<int64_t>();
  // Chunks whose raw tokens the query does not see already: what the oracle
  // and recency choose from and what coverage measures.
  const int64_t unfoldable = unfoldable_chunks(layout, hierarchy, mask, query);
  const int64_t level0_budget = level_budget(selection, n_chunks, unfoldable);
  const int64_t units = mode == GqaMode::kGroup ? kv_heads : heads;
  double coverage = 0;
  for (int64_t u = 0; u < units; ++u) {
    const int64_t kv_head = mode == GqaMode::kGroup ? u : u / per_group;
    const int64_t first = mode == GqaMode::kGroup ? u * per_group : u;
    const int64_t count = mode == GqaMode::kGroup ? per_group : 1;
    // The unit's mass per chunk (summed over a group's heads in group mode).
    std::vector<double> unit_mass;
    if (masses.defined()) {
      unit_mass.assign(n_chunks, 0.0);
      for (int64_t h = first; h < first + count; ++h) {
        const double* row = masses.data_ptr<double>() + h * n_chunks;
        for (int64_t j = 0; j < n_chunks; ++j) unit_mass[j] += row[j];
      }
    }
    std::vector<LevelChoice> choices;
    switch (baseline) {
      case Baseline::kNone: {
        auto scorer = [&](int level, const std::vector<int64_t>& candidates) {
          if (candidates.empty()) return std::vector<double>();
          if (level != hierarchy.top_level()) {
            return gist_scores(q, keys, kv_head, first, count, hierarchy, level, candidates,
                               options.gist_keys);
          }
          std::vector<double> scores(candidates.size(), 0.0);  // candidates: the whole top level
          for (int64_t h = first; h < first + count; ++h) {
            const double* row = top_scores.data_ptr<double>() + h * top_scores.size(1);
            for (size_t i = 0; i < candidates.size(); ++i) scores[i] += row[candidates[i]];
          }
          return scores;
        };
        choices = select_chunks(hierarchy, selection, scorer);
        break;
      }
      case Baseline::kOracle:
        if (unfoldable > 0) {
          std::vector<int64_t> candidates(unfoldable);
          std::iota(candidates.begin(), candidates.end(), 0);
          const std::vector<double> scores(unit_mass.begin(), unit_mass.begin() + unfoldable);
          choices = choices_unfolding(hierarchy, choose_top(candidates, scores, level0_budget, 0),
                                      unit_mass);
        }
        break;
      case Baseline::kRecency:
        if (unfoldable > 0)
          choices = choices_unfolding(hierarchy, recent_chunks(unfoldable, level0_budget), {});
        break;
      case Baseline::kGistOnly:
      case Baseline::kFull:
        break;
    }
    if (options.shadow_full) {
      coverage += unfoldable > 0 && !choices.empty()
                      ? mass_coverage(unit_mass.data(), unfoldable, choices.back().chosen)
                      : 0.0;
    }
    visible_of_unit.push_back(baseline == Baseline::kGistOnly
                                  ? training_row
                                  : visible_keys(layout, hierarchy, mask, query, choices));
    result.choices.push_back(std::move(choices));
  }
  if (options.shadow_full) result.full_mass_coverage = coverage / static_cast<double>(units);

  std::vector<at::Tensor> outputs;
  for (int64_t g = 0; g < kv_heads; ++g) {
    // Distinct gists scored and keys attended by this KV group.
    std::vector<std::vector<int64_t>> scored, group_visible;
    const int64_t first_unit = mode == GqaMode::kGroup ? g : g * per_group;
    const int64_t group_units = mode == GqaMode::kGroup ? 1 : per_group;
    for (int64_t u = first_unit; u < first_unit + group_units; ++u) {
      if (baseline == Baseline::kNone) {
        for (const LevelChoice& choice : result.choices[u]) {
          std::vector<int64_t> positions;
          for (int64_t c : choice.candidates) positions.push_back(hierarchy.gists(choice.level)[c]);
          scored.push_back(positions);
        }
      }
      group_visible.push_back(visible_of_unit[u]);
    }
    const std::vector<int64_t> group_set = union_of(group_visible);
    const double group_scored = baseline == Baseline::kOracle
                                    ? static_cast<double>(query + 1)
                                    : static_cast<double>(union_of(scored).size());
    result.keys_scored += group_scored / kv_heads;
    result.keys_read += static_cast<double>(group_set.size()) / kv_heads;
    if (mode == GqaMode::kIndependent) {
      for (int64_t h = g * per_group; h < (g + 1) * per_group; ++h)
        outputs.push_back(attend(q.narrow(0, h, 1), keys, values, g, visible_of_unit[h]));
    } else {
      // The group's heads share one visible set.
      outputs.push_back(attend(q.narrow(0, g * per_group, per_group), keys, values, g, group_set));
    }
  }
  result.output = at::cat(outputs, 0);
  return result;
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
