// Selective attention for one suffix query (ssa-spec.md, "Inference", 1-7).
//
// Given the rotated query of every head and the layer's KV cache, score the
// gists level by level, choose, unfold, and attend over the visible keys,
// under one of the three GQA modes. This is the CPU reference for the decode
// kernels to come; device-agnostic LibTorch (the math runs where the tensors are).
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

// q: [H, D] rotated queries of stream position `query`; keys, values: [Hkv, Lk, D]
// with Lk > query (the cache holds every position up to the query). The
// hierarchy must describe `layout`'s prefix. Keys scored: distinct gists for
// SSA, every key for the oracle (it ranks by full attention), none for
// gist-only and recency.
SelectiveAttentionResult selective_attention(const at::Tensor& q, const at::Tensor& keys,
                                             const at::Tensor& values, const GistLayout& layout,
                                             const GistHierarchy& hierarchy, MaskSettings mask,
                                             int64_t query, const SelectionSettings& selection,
                                             GqaMode mode,
                                             const SelectiveAttentionOptions& options = {});

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
