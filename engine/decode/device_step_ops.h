// LibTorch faces of the decode step's fused kernels (kernels/decoder_step_ops.h)
// for DeviceDecoder: bf16 tensors in, fresh bf16 tensors out, launched on the
// given stream without a host synchronisation (capturable). Each matches the
// chain of at:: ops it replaces (decoder.cpp's rms_norm, RoPE, MLP) to 1 ulp
// on at most 0.1% of the values (RMSNorm's sum order, silu's exp).
// Built only with CUDA (SSA_WITH_CUDA), or over the CPU emulator in tests.
#pragma once

#if defined(SSA_WITH_CUDA)

#include <ATen/core/Tensor.h>

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/kv_append.h"

namespace ssa {

// rms_norm(x, weight, eps) over the last dimension of a contiguous x.
at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps,
                          cudaStream_t stream);

// The residual add and the next norm in one: `residual` becomes
// residual + delta (in place), and rms_norm of it is returned.
at::Tensor fused_add_rms_norm(at::Tensor& residual, const at::Tensor& delta,
                              const at::Tensor& weight, double eps, cudaStream_t stream);

// The rotated q [B, H, D] and k [B, Hkv, D] and the copied v [B, Hkv, D], all
// contiguous, from the fused projection qkv [B, (H + 2 Hkv) D] (rows may be
// strided) and the step's bf16 tables cos, sin [B, D]. With `cache`
// (DeviceAttention::append_params), k and v go straight into the layer's
// cache as DeviceAttention::append puts them, and only q is returned.
struct RotatedQkv {
  at::Tensor q, k, v;
};
RotatedQkv fused_rope(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                      int64_t heads, int64_t kv_heads, int64_t head_dim, cudaStream_t stream,
                      const kernels::AppendParams* cache = nullptr);

// x [..., k] W^T + bias for W [n, k] (nn.Linear's layout), bf16: the
// small-batch kernel (kernels/small_batch_linear.h) for up to 8 rows of
// suitable shapes, else at::linear (which returns the same to bf16 rounding).
// `stream` must be the current stream: the output is allocated on it.
at::Tensor small_batch_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                              cudaStream_t stream);

// silu(gate) * up, both contiguous and of one shape.
at::Tensor fused_silu_mul(const at::Tensor& gate, const at::Tensor& up, cudaStream_t stream);
// The same from one GEMM's output [..., 2 I] = [gate | up] per row: [..., I].
at::Tensor fused_silu_mul_halves(const at::Tensor& gate_up, cudaStream_t stream);

}  // namespace ssa

#endif  // SSA_WITH_CUDA
