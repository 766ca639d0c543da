// Selective attention for one suffix query (ssa-spec.md, "Inference", 1-8).
//
// Given the rotated query of every head and the layer's KV cache, score the
// gists level by level, choose, unfold, and attend over the visible keys,
// under one of the three GQA modes. This is the CPU reference for the decode
// kernels to come: plain tensors in and out, one layer per call, scores in
// float64; device-agnostic LibTorch (the math runs where the tensors are).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/decode/baselines.h"
#include "engine/decode/chunk_selector.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"
#include "engine/trace/observer.h"

namespace ssa {

enum class GqaMode {
  kHead,         // every query head chooses; a KV group attends to the union of its heads' sets
  kGroup,        // scores summed over a group's heads; one choice per group
  kIndependent,  // every head chooses and attends to its own set only
};

// "head", "group", "independent"; throws std::invalid_argument otherwise.
GqaMode parse_gqa_mode(const std::string& name);

struct SelectiveAttentionOptions {
  // kNone: SSA / H-SSA selection; gist-only, oracle, recency: the baselines
  // (baselines.h). kFull is not a selection: use full_attention().
  Baseline baseline = Baseline::kNone;
  // Measure the share of the true full-attention mass over the prefix's chunks
  // that the unfolded chunks carry (spec: --shadow-full). Costs a full pass.
  bool shadow_full = false;
  // Per level, the prefix's gist keys [Hkv, n_l, D] in float64, contiguous
  // (DecodeSession keeps them from prefill on): scoring reads only these.
  // Null: gathered from `keys` by stream position at every call.
  const std::vector<at::Tensor>* gist_keys = nullptr;
};

struct SelectiveAttentionResult {
  at::Tensor output;  // [H, D], in the query's dtype
  // One entry per choosing unit (query head, or KV group in kGroup mode).
  std::vector<std::vector<LevelChoice>> choices;
  // Per KV group, averaged over groups: distinct gist keys scored, and keys attended.
  double keys_scored = 0;
  double keys_read = 0;
  // With shadow_full: mean over units of the mass share of the unfolded chunks; else -1.
  double full_mass_coverage = -1;
};

// Shapes everywhere: q [H, D] rotated queries of stream position `query`;
// keys, values [Hkv, Lk, D] with Lk > query (the cache holds every position up
// to the query). The hierarchy must describe `layout`'s prefix. A choosing
// unit is a query head, or a KV group in kGroup mode.
//
// One query, read top to bottom (each step callable alone, per layer):
//   choose_units    -> per unit, the level-by-level choices     (spec 1-3, 5)
//   visible_sets    -> per unit, the key positions it may attend (spec 4)
//   attend_visible  -> softmax attention over them, per KV group (spec 5, 7)

// Per unit, the choices: SSA selection (baseline kNone), or the oracle's
// (by `unit_masses`, the unit's full-attention mass per prefix chunk) or
// recency's; none for gist-only.
std::vector<std::vector<LevelChoice>> choose_units(
    const at::Tensor& q, const at::Tensor& keys, const GistLayout& layout,
    const GistHierarchy& hierarchy, MaskSettings mask, int64_t query,
    const SelectionSettings& selection, GqaMode mode, Baseline baseline,
    const std::vector<at::Tensor>* gist_keys, const std::vector<std::vector<double>>& unit_masses);

// Per unit, the sorted key positions it sees: visible_keys() of its choices,
// or (gist-only) the query's training-mask row.
std::vector<std::vector<int64_t>> visible_sets(const GistLayout& layout,
                                               const GistHierarchy& hierarchy, MaskSettings mask,
                                               int64_t query,
                                               const std::vector<std::vector<LevelChoice>>& choices,
                                               Baseline baseline);

// Softmax attention (scale 1/sqrt(D)) of every query head over its unit's
// visible set; in kHead mode the heads of a KV group share the union of their
// sets. -> [H, D] in q's dtype.
at::Tensor attend_visible(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                          const std::vector<std::vector<int64_t>>& visible, GqaMode mode);

// The three steps above, with the costs: keys scored (distinct gists for SSA,
// every key for the oracle, which ranks by full attention; none for gist-only
// and recency) and keys read, and with shadow_full the mass coverage.
SelectiveAttentionResult selective_attention(const at::Tensor& q, const at::Tensor& keys,
                                             const at::Tensor& values, const GistLayout& layout,
                                             const GistHierarchy& hierarchy, MaskSettings mask,
                                             int64_t query, const SelectionSettings& selection,
                                             GqaMode mode,
                                             const SelectiveAttentionOptions& options = {});

// A layer that does not select (spec 8, the reference's first layer): every
// head attends to the query's training-mask row, exactly as the gist-only
// baseline does. No choices, nothing scored, coverage -1 (not measured).
SelectiveAttentionResult training_row_attention(const at::Tensor& q, const at::Tensor& keys,
                                                const at::Tensor& values, const GistLayout& layout,
                                                MaskSettings mask, int64_t query, GqaMode mode);

// The hierarchy's gist keys of every level, gathered from one layer's cache
// keys [Hkv, Lk, D] into contiguous float64 tensors [Hkv, n_l, D]: what
// SelectiveAttentionOptions::gist_keys wants, built once per prefix.
std::vector<at::Tensor> gather_gist_keys(const at::Tensor& keys, const GistHierarchy& hierarchy);

// Plain softmax attention of one query position over every cached key:
// q [H, D], keys/values [Hkv, Lk, D] -> [H, D]. Grouped matmuls, no KV copies.
at::Tensor full_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values);

// Reports a result's scores and choices to an observer, as stream positions.
void report_selection(trace::Observer& observer, int64_t step, int32_t layer,
                      const GistHierarchy& hierarchy, const SelectiveAttentionResult& result);

}  // namespace ssa
