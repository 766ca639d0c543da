// y = x W^T (+ b) for a decode step's few rows (m <= 8 sequences): every
// projection of the step and the head. On the Qwen2-7B shapes at m 8 cuBLAS
// reaches 52% (o, 3584 x 3584) to 89% (gate/up) of the copy bandwidth, and
// splits k with a reduction kernel after (scripts/cublas_gemm_probe.py);
// this kernel streams W once, 16-byte loads in flight while it multiplies
// the last ones, on the tensor cores (mma m16n8k16,
// W's 16 rows as A, x's m rows as B's 8 columns, zeros past m), fp32
// accumulation, one bf16 rounding of the sum plus bias, as cuBLAS rounds.
//
// CPU reference: at::linear; tests/kernels compares the two (emulated
// everywhere, on the GPU where there is one).
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

namespace ssa::kernels {

constexpr int kSmallBatchMaxRows = 8;

struct SmallLinearParams {
  int32_t m = 0, n = 0, k = 0;
  const uint16_t* x = nullptr;  // [m][k] bf16, rows x_stride apart
  int64_t x_stride = 0;
  const uint16_t* w = nullptr;     // [n][k] bf16 contiguous (an nn.Linear weight)
  const uint16_t* bias = nullptr;  // [n] bf16 or null
  uint16_t* out = nullptr;         // [m][n] bf16 contiguous
};

// Whether the kernel takes these: m 1..8, n a multiple of 16, k of 32, x, w
// and x's rows 16-byte aligned.
bool small_linear_applies(const SmallLinearParams& params);
void launch_small_linear(const SmallLinearParams& params, cudaStream_t stream);

}  // namespace ssa::kernels
