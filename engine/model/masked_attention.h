// Attention under an explicit boolean mask (True = may attend): the one
// operation through which every SSA / H-SSA training mask reaches the model.
//
// masked_attention uses LibTorch's scaled-dot-product attention (CPU and CUDA);
// masked_attention_reference is a plain loop over batch, head and query
// position that defines what the fast path must compute. Both take
// q [B, Hq, L, D] and k, v [B, Hkv, T, D] with Hq a multiple of Hkv (GQA: query
// head h uses KV head h / (Hq / Hkv)), and a mask [L, T], [B, 1, L, T] or, per
// query head, [B, Hq, L, T] (T = L, or more keys when earlier ones are cached).
// Every query row must allow at least one key (the caller's masks always allow
// the diagonal), else softmax has nothing to normalise.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>

namespace ssa {

at::Tensor masked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& mask);

// Plain causal attention (SDPA's is_causal: no L x L mask is built).
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// Bool [L, L] masks: causal (key <= query), and a sliding window of `window`
// keys (key > query - window), as transformers' sliding_window_overlay.
at::Tensor causal_mask(int64_t length, c10::Device device);
at::Tensor sliding_window_mask(int64_t length, int64_t window, c10::Device device);

at::Tensor masked_attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& mask);

}  // namespace ssa
