// The decode step's projections for a few rows (small_batch_linear.h).
//
// A block owns 16 output features (rows of W) and its warps split k into
// 32-wide chunks: lane (g, t) = (lane / 4, lane % 4) loads 16 bytes of W rows
// g and g + 8 and of x row g at k 32c + 8t, which is exactly the fragment map
// of mma_bf16.cuh (its words 0-1 one k-step, 2-3 the next), so no shuffle or
// shared memory stands between the loads and the mma. Each warp takes
// kChunksInFlight chunks a round and issues the next round's loads before it
// multiplies this round's; the warps' partial sums meet in shared memory at
// the end.
#include "kernels/small_batch_linear.h"

#include <stdexcept>

#include "kernels/cuda_check.h"
#include "kernels/launch.h"
#include "kernels/mma_bf16.cuh"

namespace ssa::kernels {
namespace {

// Measured on the H200 (kernels/NOTES.md): 8 warps of 2 chunks, the next
// round's loads issued before this round's multiplies, beat 4-32 warps of
// 1-8 chunks, with or without that overlap.
constexpr int kLinearWarps = 8;
constexpr int kChunksInFlight = 2;

__global__ void __launch_bounds__(kLinearWarps * 32) small_linear_kernel(SmallLinearParams p) {
  __shared__ float partial[kLinearWarps][32][4];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * 16;
  const uint16_t* w_lo = p.w + (row0 + g) * p.k + 8 * t;
  const uint16_t* w_hi = w_lo + 8 * static_cast<int64_t>(p.k);
  const bool has_row = g < p.m;  // B's columns past m are zeros
  const uint16_t* x = p.x + (has_row ? g : 0) * p.x_stride + 8 * t;
  const int chunks = p.k / 32;
  float d[4] = {0.f, 0.f, 0.f, 0.f};
  uint4 lo[kChunksInFlight], hi[kChunksInFlight], xs[kChunksInFlight];
  auto load = [&](int c0) {
#pragma unroll
    for (int j = 0; j < kChunksInFlight; ++j) {
      // Past the last chunk: W's last chunk again (a cache hit) against zeros.
      const int c = min(c0 + j, chunks - 1);
      lo[j] = load16(w_lo + 32 * c, true);
      hi[j] = load16(w_hi + 32 * c, true);
      xs[j] = load16(x + 32 * c, has_row && c0 + j < chunks);
    }
  };
  auto multiply = [&](const uint4(&l)[kChunksInFlight], const uint4(&h)[kChunksInFlight],
                      const uint4(&v)[kChunksInFlight]) {
#pragma unroll
    for (int j = 0; j < kChunksInFlight; ++j) {
      const uint32_t a0[4] = {l[j].x, h[j].x, l[j].y, h[j].y}, b0[2] = {v[j].x, v[j].y};
      mma_bf16_16x8x16(d, a0, b0);
      const uint32_t a1[4] = {l[j].z, h[j].z, l[j].w, h[j].w}, b1[2] = {v[j].z, v[j].w};
      mma_bf16_16x8x16(d, a1, b1);
    }
  };
  // The next round's loads go out before this round's multiplies.
  constexpr int kStride = kLinearWarps * kChunksInFlight;
  int c0 = warp * kChunksInFlight;
  if (c0 < chunks) load(c0);
  for (; c0 < chunks; c0 += kStride) {
    uint4 l[kChunksInFlight], h[kChunksInFlight], v[kChunksInFlight];
#pragma unroll
    for (int j = 0; j < kChunksInFlight; ++j) l[j] = lo[j], h[j] = hi[j], v[j] = xs[j];
    if (c0 + kStride < chunks) load(c0 + kStride);
    multiply(l, h, v);
  }
  for (int i = 0; i < 4; ++i) partial[warp][lane][i] = d[i];
  __syncthreads();
  if (warp != 0) return;
  for (int w = 1; w < kLinearWarps; ++w)
    for (int i = 0; i < 4; ++i) d[i] += partial[w][lane][i];
  // C fragment: d0, d1 (feature g, rows 2t, 2t + 1), d2, d3 (feature g + 8).
  for (int i = 0; i < 4; ++i) {
    const int m = 2 * t + (i & 1);
    const int64_t feature = row0 + g + (i >= 2 ? 8 : 0);
    if (m >= p.m) continue;
    const float b = p.bias != nullptr ? bf16_to_float(p.bias[feature]) : 0.f;
    p.out[m * static_cast<int64_t>(p.n) + feature] =
        static_cast<uint16_t>(pack_bf16(d[i] + b, 0.f) & 0xFFFFu);
  }
}

}  // namespace

bool small_linear_applies(const SmallLinearParams& p) {
  auto aligned = [](const void* q) { return reinterpret_cast<uintptr_t>(q) % 16 == 0; };
  return p.m >= 1 && p.m <= kSmallBatchMaxRows && p.n >= 16 && p.n % 16 == 0 && p.k >= 32 &&
         p.k % 32 == 0 && p.x_stride >= p.k && p.x_stride % 8 == 0 && aligned(p.x) && aligned(p.w);
}

void launch_small_linear(const SmallLinearParams& p, cudaStream_t stream) {
  if (!small_linear_applies(p) || p.out == nullptr)
    throw std::invalid_argument("small batch linear: m 1..8, n % 16, k % 32, 16-byte aligned");
  SSA_LAUNCH(small_linear_kernel, dim3(static_cast<unsigned>(p.n / 16)), dim3(kLinearWarps * 32), 0,
             stream, p);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace ssa::kernels
