// The small per-layer operations of a decode step, each one kernel instead of
// a chain of LibTorch ops: RMSNorm (optionally after the residual add), RoPE
// of the fused q/k/v projection split into the layouts attention wants, and
// silu(gate) * up. bf16 in and out, fp32 math, rounded to bf16 exactly where
// the CPU reference (engine/model/decoder.cpp) rounds. The emulator's test
// allows 1 ulp on at most 0.1% of the values (RMSNorm's sum order, silu's
// exp); on its random inputs none differed.
//
// CPU reference: decoder.cpp's rms_norm, rotate_half RoPE and MLP (at:: ops
// on bf16 tensors); tests/kernels compares the two (emulated everywhere,
// on the GPU where there is one).
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/kv_append.h"

namespace ssa::kernels {

// out = bf16(weight * bf16(x * rsqrt(mean(x^2) + eps))) per row, with x the
// row of `residual`, or with `delta`, x = bf16(residual + delta), which is
// also written to `sum` (the next residual stream).
struct RmsNormParams {
  int32_t rows = 0, width = 0;
  const uint16_t* residual = nullptr;  // [rows][width] bf16
  const uint16_t* delta = nullptr;     // [rows][width] or null
  uint16_t* sum = nullptr;             // [rows][width] with delta (may be residual itself)
  const uint16_t* weight = nullptr;    // [width]
  uint16_t* out = nullptr;             // [rows][width]
  float eps = 1e-6f;
};
void launch_rms_norm(const RmsNormParams& params, cudaStream_t stream);

// Rotate-half RoPE of one step's fused projection row [q heads | k heads |
// v heads] per sequence: q and k rotated as q * cos + rotate_half(q) * sin in
// bf16 (each product and the sum rounded), v copied; each written contiguous,
// or, with cache.steps set, k and v written where launch_kv_append writes
// them (the step's position, and the gist keys), in place of that kernel.
struct RopeParams {
  int32_t batch = 0, heads = 0, kv_heads = 0, head_dim = 0;
  const uint16_t* qkv = nullptr;  // [batch][row_stride], (heads + 2 kv_heads) * head_dim used
  int64_t row_stride = 0;
  const uint16_t* cos = nullptr;  // [batch][head_dim] bf16: the step's table
  const uint16_t* sin = nullptr;
  uint16_t* q = nullptr;  // [batch][heads][head_dim]
  uint16_t* k = nullptr;  // [batch][kv_heads][head_dim]
  uint16_t* v = nullptr;
  AppendParams cache;  // its k_new and v_new unused
};
void launch_rope(const RopeParams& params, cudaStream_t stream);

// out = bf16(bf16(silu(gate)) * up), elementwise over rows x width values:
// out contiguous, gate and up rows `in_stride` apart (one GEMM's [gate | up]
// output: in_stride 2 width, up = gate + width).
struct SiluMulParams {
  int64_t rows = 1, width = 0, in_stride = 0;
  const uint16_t* gate = nullptr;
  const uint16_t* up = nullptr;
  uint16_t* out = nullptr;
};
void launch_silu_mul(const SiluMulParams& params, cudaStream_t stream);

}  // namespace ssa::kernels
