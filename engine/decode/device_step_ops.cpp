#include "engine/decode/device_step_ops.h"

#if defined(SSA_WITH_CUDA)

#include <ATen/ATen.h>

#include <vector>

#include "kernels/decoder_step_ops.h"
#include "kernels/small_batch_linear.h"

namespace ssa {
namespace {

const uint16_t* in(const at::Tensor& t) {
  return reinterpret_cast<const uint16_t*>(t.data_ptr());
}
uint16_t* out(const at::Tensor& t) {
  return reinterpret_cast<uint16_t*>(t.data_ptr());
}

void check_bf16(const at::Tensor& t, const char* what) {
  TORCH_CHECK(t.scalar_type() == at::kBFloat16 && t.is_contiguous(), "fused decode ops: ", what,
              " must be bf16 contiguous");
}

kernels::RmsNormParams norm_params(const at::Tensor& x, const at::Tensor& weight, double eps) {
  check_bf16(x, "x");
  check_bf16(weight, "the norm weight");
  TORCH_CHECK(weight.numel() == x.size(-1), "fused decode ops: the norm weight's width");
  kernels::RmsNormParams p;
  p.width = static_cast<int32_t>(x.size(-1));
  p.rows = static_cast<int32_t>(x.numel() / p.width);
  p.residual = in(x);
  p.weight = in(weight);
  p.eps = static_cast<float>(eps);  // as `float tensor + eps` rounds it
  return p;
}

}  // namespace

at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps,
                          cudaStream_t stream) {
  kernels::RmsNormParams p = norm_params(x, weight, eps);
  at::Tensor normed = at::empty_like(x);
  p.out = out(normed);
  kernels::launch_rms_norm(p, stream);
  return normed;
}

at::Tensor fused_add_rms_norm(at::Tensor& residual, const at::Tensor& delta,
                              const at::Tensor& weight, double eps, cudaStream_t stream) {
  kernels::RmsNormParams p = norm_params(residual, weight, eps);
  check_bf16(delta, "the residual's delta");
  TORCH_CHECK(delta.sizes() == residual.sizes(), "fused decode ops: delta and residual shapes");
  at::Tensor normed = at::empty_like(residual);
  p.delta = in(delta);
  p.sum = out(residual);
  p.out = out(normed);
  kernels::launch_rms_norm(p, stream);
  return normed;
}

RotatedQkv fused_rope(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                      int64_t heads, int64_t kv_heads, int64_t head_dim, cudaStream_t stream,
                      const kernels::AppendParams* cache) {
  TORCH_CHECK(qkv.dim() == 2 && qkv.scalar_type() == at::kBFloat16 && qkv.stride(1) == 1 &&
                  qkv.size(1) == (heads + 2 * kv_heads) * head_dim,
              "fused decode ops: qkv must be bf16 [B, (H + 2 Hkv) D] with unit inner stride");
  const int64_t B = qkv.size(0);
  check_bf16(cos, "cos");
  check_bf16(sin, "sin");
  TORCH_CHECK(cos.sizes() == sin.sizes() && cos.numel() == B * head_dim,
              "fused decode ops: cos and sin must be [B, D]");
  RotatedQkv r;
  r.q = at::empty({B, heads, head_dim}, qkv.options());
  kernels::RopeParams p;
  if (cache != nullptr) {
    TORCH_CHECK(cache->batch == B && cache->kv_heads == kv_heads && cache->head_dim == head_dim,
                "fused decode ops: the cache's shape");
    p.cache = *cache;
  } else {
    r.k = at::empty({B, kv_heads, head_dim}, qkv.options());
    r.v = at::empty({B, kv_heads, head_dim}, qkv.options());
    p.k = out(r.k);
    p.v = out(r.v);
  }
  p.batch = static_cast<int32_t>(B);
  p.heads = static_cast<int32_t>(heads);
  p.kv_heads = static_cast<int32_t>(kv_heads);
  p.head_dim = static_cast<int32_t>(head_dim);
  p.qkv = in(qkv);
  p.row_stride = qkv.stride(0);
  p.cos = in(cos);
  p.sin = in(sin);
  p.q = out(r.q);
  kernels::launch_rope(p, stream);
  return r;
}

at::Tensor small_batch_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                              cudaStream_t stream) {
  const auto linear = [&] {
    return at::linear(x, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt);
  };
  const bool bf16 = x.scalar_type() == at::kBFloat16 && weight.scalar_type() == at::kBFloat16 &&
                    (!bias.defined() || bias.scalar_type() == at::kBFloat16);
  if (!bf16 || x.dim() < 1 || weight.dim() != 2 || !weight.is_contiguous() ||
      x.size(-1) != weight.size(1) || x.stride(-1) != 1 ||
      (bias.defined() && (!bias.is_contiguous() || bias.numel() != weight.size(0))))
    return linear();
  const at::Tensor rows = x.reshape({-1, x.size(-1)});  // a view for the step's [B, k]
  kernels::SmallLinearParams p;
  p.m = static_cast<int32_t>(rows.size(0));
  p.n = static_cast<int32_t>(weight.size(0));
  p.k = static_cast<int32_t>(weight.size(1));
  p.x = in(rows);
  p.x_stride = rows.stride(0);
  p.w = in(weight);
  p.bias = bias.defined() ? in(bias) : nullptr;
  if (rows.size(0) > kernels::kSmallBatchMaxRows || !kernels::small_linear_applies(p))
    return linear();
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(0);
  at::Tensor y = at::empty(shape, x.options());
  p.out = out(y);
  kernels::launch_small_linear(p, stream);
  return y;
}

at::Tensor fused_silu_mul(const at::Tensor& gate, const at::Tensor& up, cudaStream_t stream) {
  check_bf16(gate, "gate");
  check_bf16(up, "up");
  TORCH_CHECK(gate.sizes() == up.sizes(), "fused decode ops: gate and up shapes");
  at::Tensor product = at::empty_like(gate);
  kernels::SiluMulParams p;
  p.width = gate.numel();
  p.in_stride = p.width;
  p.gate = in(gate);
  p.up = in(up);
  p.out = out(product);
  kernels::launch_silu_mul(p, stream);
  return product;
}

at::Tensor fused_silu_mul_halves(const at::Tensor& gate_up, cudaStream_t stream) {
  check_bf16(gate_up, "gate_up");
  TORCH_CHECK(gate_up.dim() >= 1 && gate_up.size(-1) % 2 == 0,
              "fused decode ops: gate_up's last dimension must be even");
  const int64_t width = gate_up.size(-1) / 2;
  std::vector<int64_t> shape = gate_up.sizes().vec();
  shape.back() = width;
  at::Tensor product = at::empty(shape, gate_up.options());
  if (product.numel() == 0) return product;
  kernels::SiluMulParams p;
  p.width = width;
  p.rows = gate_up.numel() / (2 * width);
  p.in_stride = 2 * width;
  p.gate = in(gate_up);
  p.up = p.gate + width;
  p.out = out(product);
  kernels::launch_silu_mul(p, stream);
  return product;
}

}  // namespace ssa

#endif  // SSA_WITH_CUDA
