// The comparison baselines of ssa-spec.md ("Baselines"), as choices that the
// selective-attention path can attend with, so that every baseline runs on the
// same model, stream, cache and trace as SSA itself:
//   full      every earlier position (no selection; handled by the session),
//   gist-only the training-mask row: gists of the right level, sink, suffix,
//             nothing unfolded,
//   oracle    unfold the k chunks that carry the most true full-attention mass,
//   recency   unfold the last k chunks,
// where oracle and recency choose among the chunks the query does not read
// already (unfoldable_chunks).
// Oracle and recency choose at level 0; the ancestors of the chosen chunks
// count as chosen at the levels above, as if SSA had descended to them.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/decode/chunk_selector.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"

namespace ssa {

enum class Baseline { kNone, kFull, kGistOnly, kOracle, kRecency };

// "none", "full", "gist-only", "oracle", "recency"; throws std::invalid_argument.
Baseline parse_baseline(const std::string& name);
const char* baseline_name(Baseline baseline);

// The query's training-mask row (sorted stream positions <= query).
std::vector<int64_t> training_row_keys(const GistLayout& layout, MaskSettings mask, int64_t query);

// Level-by-level choices that unfold `chunks` (level-0 indices): level 0 offers
// every chunk with `chunk_scores` (empty: the chosen ones only, unscored), and
// each level above offers all its gists, scored by the sum over their chunks,
// with the ancestors of `chunks` chosen. Top level first, as select_chunks.
std::vector<LevelChoice> choices_unfolding(const GistHierarchy& hierarchy,
                                           const std::vector<int64_t>& chunks,
                                           const std::vector<double>& chunk_scores);

// The last `budget` chunks before chunk `end`, newest first (best first).
std::vector<int64_t> recent_chunks(int64_t end, int64_t budget);

// Full-attention weights of every query head over every key (softmax of
// q . k / sqrt(d)), float64 on the CPU: q [H, D], keys [Hkv, Lk, D] -> [H, Lk].
at::Tensor full_attention_weights(const at::Tensor& q, const at::Tensor& keys);

// Mass of every prefix chunk (raw tokens and its gist) in `weights` [H, Lk]
// float64 CPU: [H, n_chunks] float64.
at::Tensor chunk_masses(const at::Tensor& weights, const GistHierarchy& hierarchy);

// Share of a unit's mass over chunks [0, n_chunks) that the chosen ones among
// them carry; 0 when those chunks have no mass at all.
double mass_coverage(const double* masses, int64_t n_chunks, const std::vector<int64_t>& chosen);

// Chunks a query can gain by unfolding: [0, end). Later chunks' raw tokens are
// in its training-mask row already (its own chunk and the p before it), so the
// oracle and recency do not spend k on them and coverage leaves them out.
int64_t unfoldable_chunks(const GistLayout& layout, const GistHierarchy& hierarchy,
                          MaskSettings mask, int64_t query);

}  // namespace ssa
