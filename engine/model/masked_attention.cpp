// SDPA with a boolean mask, and its loop-over-positions reference.
#include "engine/model/masked_attention.h"

#include <ATen/ATen.h>

#include <cassert>
#include <cmath>
#include <stdexcept>

namespace ssa {
namespace {

// [L, T] -> [1, 1, L, T]; [B, 1, L, T] and [B, Hq, L, T] stay (T keys: L, or
// more when earlier keys are cached). Anything else is a caller bug.
at::Tensor as_4d_mask(const at::Tensor& mask, int64_t heads, int64_t length, int64_t keys) {
  if (mask.scalar_type() != at::kBool) throw std::invalid_argument("attention mask must be bool");
  at::Tensor m = mask.dim() == 2 ? mask.unsqueeze(0).unsqueeze(0) : mask;
  if (m.dim() != 4 || (m.size(1) != 1 && m.size(1) != heads) || m.size(2) != length ||
      m.size(3) != keys)
    throw std::invalid_argument("attention mask must be [L, T], [B, 1, L, T] or [B, Hq, L, T]");
  return m;
}

}  // namespace

at::Tensor masked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& mask) {
  const int64_t groups = q.size(1) / k.size(1);
  assert(q.size(1) % k.size(1) == 0);
  at::Tensor m = as_4d_mask(mask, q.size(1), q.size(2), k.size(2)).to(q.device());
  // Repeat KV heads rather than rely on enable_gqa: every SDPA backend (math,
  // memory-efficient with an arbitrary mask) accepts equal head counts.
  at::Tensor kk = groups == 1 ? k : k.repeat_interleave(groups, 1);
  at::Tensor vv = groups == 1 ? v : v.repeat_interleave(groups, 1);
  return at::scaled_dot_product_attention(q, kk, vv, m);
}

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const int64_t groups = q.size(1) / k.size(1);
  at::Tensor kk = groups == 1 ? k : k.repeat_interleave(groups, 1);
  at::Tensor vv = groups == 1 ? v : v.repeat_interleave(groups, 1);
  return at::scaled_dot_product_attention(q, kk, vv, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/true);
}

at::Tensor causal_mask(int64_t length, c10::Device device) {
  return at::ones({length, length}, at::TensorOptions().dtype(at::kBool).device(device)).tril();
}

at::Tensor sliding_window_mask(int64_t length, int64_t window, c10::Device device) {
  // key > query - window  <=>  key - query > -window: a band above diagonal -window.
  return at::ones({length, length}, at::TensorOptions().dtype(at::kBool).device(device))
      .triu(-(window - 1));
}

at::Tensor masked_attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& mask) {
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2);
  const int64_t groups = heads / k.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  at::Tensor m = as_4d_mask(mask, heads, length, k.size(2)).to(at::kCPU);
  std::vector<at::Tensor> per_batch;
  for (int64_t b = 0; b < batch; ++b) {
    const at::Tensor mbatch = m[m.size(0) == 1 ? 0 : b];
    std::vector<at::Tensor> per_head;
    for (int64_t h = 0; h < heads; ++h) {
      const at::Tensor mb = mbatch[mbatch.size(0) == 1 ? 0 : h];
      const at::Tensor kh = k[b][h / groups], vh = v[b][h / groups];
      std::vector<at::Tensor> rows;
      for (int64_t i = 0; i < length; ++i) {
        // The keys this query may see, one by one: no masking arithmetic at all.
        std::vector<int64_t> keys;
        const at::Tensor row_tensor = mb[i].contiguous();
        auto row = row_tensor.accessor<bool, 1>();
        for (int64_t j = 0; j < k.size(2); ++j)
          if (row[j]) keys.push_back(j);
        assert(!keys.empty());
        at::Tensor idx = at::tensor(keys, at::TensorOptions().dtype(at::kLong)).to(q.device());
        at::Tensor scores = kh.index_select(0, idx).matmul(q[b][h][i]) * scale;
        // Half-precision scores are normalised in fp32, as SDPA does.
        const bool reduced = at::isReducedFloatingType(scores.scalar_type());
        at::Tensor p = at::softmax(reduced ? scores.to(at::kFloat) : scores, 0);
        p = p.to(vh.scalar_type());
        rows.push_back(p.matmul(vh.index_select(0, idx)));
      }
      per_head.push_back(at::stack(rows));
    }
    per_batch.push_back(at::stack(per_head));
  }
  return at::stack(per_batch);
}

}  // namespace ssa
