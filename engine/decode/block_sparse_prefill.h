// The prefix's attention under the training mask without the dense L x L mask.
//
// One query block at a time, only the key blocks the block description lists
// are read (block_mask.h), and in blocks where only gists are visible only
// those gists: memory is O(block x visible keys) instead of L x L, so prefill
// is no longer bounded by kMaxDenseMaskLength. Partial blocks get their bits
// from the per-pair rule (mask_rule.h). The numbers are masked_attention's with
// the dense mask (tested); the CUDA kernels of a later issue do the same walk.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"

namespace ssa {

// What every layer's attention reads, worked out once per prefix: per query
// block, the key positions it gathers and the mask over them.
struct BlockSparsePlan {
  struct Block {
    int64_t first = 0, rows = 0;
    at::Tensor keys;  // [n] int64 key positions
    at::Tensor mask;  // [1, 1, rows, n] bool
  };
  std::vector<Block> blocks;
};

// The plan for stream positions [0, length) of `layout` (length <=
// layout.length()), whose training mask `blocks` describes; tensors on `device`.
BlockSparsePlan plan_block_sparse(const GistLayout& layout, const BlockMask& blocks, int64_t length,
                                  c10::Device device);

// q [1, Hq, L, D], k, v [1, Hkv, L, D] for the plan's positions -> [1, Hq, L, D].
at::Tensor block_sparse_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const BlockSparsePlan& plan);

}  // namespace ssa
