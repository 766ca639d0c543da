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

struct SelectiveAttentionResult {
  at::Tensor output;  // [H, D], in the query's dtype
  // One entry per choosing unit (query head, or KV group in kGroup mode).
  std::vector<std::vector<LevelChoice>> choices;
  // Per KV group, averaged over groups: distinct gist keys scored, and keys attended.
  double keys_scored = 0;
  double keys_read = 0;
};

// q: [H, D] rotated queries of stream position `query`; keys, values: [Hkv, Lk, D]
// with Lk > query (the cache holds every position up to the query). The
// hierarchy must describe `layout`'s prefix.
SelectiveAttentionResult selective_attention(const at::Tensor& q, const at::Tensor& keys,
                                             const at::Tensor& values, const GistLayout& layout,
                                             const GistHierarchy& hierarchy, MaskSettings mask,
                                             int64_t query, const SelectionSettings& selection,
                                             GqaMode mode);

// Plain softmax attention of one query position over every cached key:
// q [H, D], keys/values [Hkv, Lk, D] -> [H, D]. Grouped matmuls, no KV copies.
at::Tensor full_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values);

// Reports a result's scores and choices to an observer, as stream positions.
void report_selection(trace::Observer& observer, int64_t step, int32_t layer,
                      const GistHierarchy& hierarchy, const SelectiveAttentionResult& result);

}  // namespace ssa
