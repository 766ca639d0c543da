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

#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"

namespace ssa {

// q [1, Hq, L, D], k, v [1, Hkv, L, D] for stream positions [0, L) of `layout`
// (L <= layout.length(); rows past L are not computed); `blocks` describes
// `layout`'s training mask. Returns [1, Hq, L, D].
at::Tensor block_sparse_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const GistLayout& layout, const BlockMask& blocks);

}  // namespace ssa
