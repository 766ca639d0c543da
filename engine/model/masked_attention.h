// Attention under an explicit boolean mask (True = may attend): the one
// operation through which every SSA / H-SSA training mask reaches the model.
//
// masked_attention uses LibTorch's scaled-dot-product attention (CPU and CUDA);
// masked_attention_reference is a plain loop over batch, head and query
// position that defines what the fast path must compute. Both take
// q [B, Hq, L, D] and k, v [B, Hkv, L, D] with Hq a multiple of Hkv (GQA: query
// head h uses KV head h / (Hq / Hkv)), and a mask [L, L], [B, 1, L, L] or, per
// query head, [B, Hq, L, L].
// Every query row must allow at least one key (the caller's masks always allow
// the diagonal), else softmax has nothing to normalise.
#pragma once

#include <ATen/core/Tensor.h>

namespace ssa {

at::Tensor masked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& mask);

at::Tensor masked_attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& mask);

}  // namespace ssa
