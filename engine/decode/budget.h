// The selection budget (ssa-spec.md, "Inference", steps 2, 6 and 9): how a
// decode session turns the user's k into the k_l of every level for one
// query position. Four modes:
//
//   fixed      the user's k at every level, with the quarter cap as the user set it;
//   auto       the reference's formula k = n_keys / comp / heads_per_group / c + 1 at
//              every level, n_keys = the query's own KV length (position + 1);
//   reference  exactly what the reference does, below;
//   top-p      the smallest best-first set whose softmax mass reaches top_p, every level.
//
// What the reference does (eager_attention_forward_decoding and _prefill in
// ssa/models/llama.py and qwen2.py of knightron0/simplified-sparse-attention):
//  * k = n_keys // comp // num_key_value_groups // c + 1, integer divisions,
//    recomputed at every call and written over the user's k of levels 0 and 1
//    (top_k[0] and top_k[1]); the user's k is left only to levels >= 2.
//  * comp = c for SSA and c x c1 for any H-SSA (Global_data.comp_factor is -1
//    unless set): a third level's c2 never enters.
//  * n_keys is the call's key length: during decoding the KV cache with the new
//    token (position + 1); the whole prompt is one prefill call, so every
//    suffix position of the prompt uses the prompt's length.
//  * k_l = min(k, max(1, G_l // 4)) with G_l the level's gists in the keys:
//    the quarter cap is applied at every level and cannot be turned off, so the
//    reference mode always caps (its --no-cap is refused).
//  * a k above the candidates (the children of the gists chosen above): topk
//    runs over all G_l gists with the others at -inf and drops the -inf picks,
//    so every candidate is chosen and no more (level_budget's min).
//  * ties: torch.topk on float64 scores, in no specified order; the engine
//    breaks them by the lower stream index (choose_top).
//  * top-p: sort, softmax and cumulative sum in float32, all kept when the sum
//    never reaches p. The engine's top-p mode sums in float64 (the mode is its
//    own; the two differ only where float32 rounding decides).
#pragma once

#include <cstdint>
#include <string>

#include "engine/decode/chunk_selector.h"
#include "engine/layout/gist_layout.h"

namespace ssa {

enum class BudgetMode { kFixed, kAuto, kReference, kTopP };

// "fixed", "auto", "reference", "top-p"; throws std::invalid_argument otherwise.
BudgetMode parse_budget_mode(const std::string& name);
const char* budget_mode_name(BudgetMode mode);

// The reference's formula: n_keys / compression / heads_per_group / chunk + 1.
int automatic_budget(int64_t n_keys, int64_t compression, int heads_per_group, int chunk);

// comp of the formula: c for SSA, c x c1 for any H-SSA.
int64_t reference_compression(const LayoutSettings& layout);

// Throws std::invalid_argument when `user` does not fit `mode`: top-p needs
// top_p in (0, 1], the other modes top_p 0; reference needs the quarter cap.
void check_budget(BudgetMode mode, const SelectionSettings& user);

// The selection of one query position whose attention call sees `n_keys`
// keys, from the user's settings (k, quarter cap, top_p) under `mode`.
SelectionSettings budget_selection(BudgetMode mode, const SelectionSettings& user, int64_t n_keys,
                                   const LayoutSettings& layout, int heads_per_group);

}  // namespace ssa
