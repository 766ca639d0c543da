// The decode step's small operations (decoder_step_ops.h). Each is bound by
// latency, not bandwidth (a row is a few KB): one block per row or head, fp32
// math; RMSNorm's rows go in 16-byte chunks, their loads all issued first.
#include "kernels/decoder_step_ops.h"

#include <stdexcept>

#include "kernels/cuda_check.h"
#include "kernels/launch.h"
#include "kernels/mma_bf16.cuh"

namespace ssa::kernels {
namespace {

constexpr int kNormThreads = 256;

// Round to nearest even, as LibTorch's bf16 ops round their fp32 result.
__device__ __forceinline__ uint16_t to_bf16(float f) {
  return static_cast<uint16_t>(pack_bf16(f, 0.f) & 0xFFFFu);
}
__device__ __forceinline__ float rounded(float f) {
  return bf16_to_float(to_bf16(f));
}

__device__ float block_sum(float v) {
  __shared__ float partial[kNormThreads / 32];
  __shared__ float total;
  for (int m = 16; m > 0; m /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, m);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < kNormThreads / 32 ? partial[lane] : 0.f;
    for (int m = 16; m > 0; m /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, m);
    if (lane == 0) total = v;
  }
  __syncthreads();
  return total;
}

__global__ void __launch_bounds__(kNormThreads) rms_norm_kernel(RmsNormParams p) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * p.width;
  const uint16_t* x = p.residual + row;
  float squares = 0.f;
  if (p.delta != nullptr) {
    // Each thread reads back only what it wrote, so `sum` may alias `residual`.
    for (int i = threadIdx.x; i < p.width; i += blockDim.x) {
      const uint16_t s = to_bf16(bf16_to_float(x[i]) + bf16_to_float(p.delta[row + i]));
      p.sum[row + i] = s;
      squares += bf16_to_float(s) * bf16_to_float(s);
    }
    x = p.sum + row;
  } else {
    for (int i = threadIdx.x; i < p.width; i += blockDim.x)
      squares += bf16_to_float(x[i]) * bf16_to_float(x[i]);
  }
  // decoder.cpp: h * rsqrt(mean(h^2) + eps) in fp32, the division exact.
  const float scale = 1.f / sqrtf(block_sum(squares) / static_cast<float>(p.width) + p.eps);
  for (int i = threadIdx.x; i < p.width; i += blockDim.x)
    p.out[row + i] = to_bf16(bf16_to_float(p.weight[i]) * rounded(bf16_to_float(x[i]) * scale));
}

// The same norm for rows of whole 16-byte chunks (8 values), up to
// kNormChunks per thread. A row's loads all go out before any arithmetic:
// the scalar loop above makes one round trip per value a thread holds (its
// loads cannot pass the stores to `sum`, which may alias them), and that
// chain, not bandwidth, was its 14 us per call on the 7B shape. Each thread
// keeps its sums in registers, so it never reads back what it wrote.
constexpr int kNormChunks = 4;  // rows up to 4 x 256 x 8 = 8192 wide

struct Bf16x8 {
  uint16_t v[8];
};
__device__ __forceinline__ Bf16x8 unpack8(const uint4& u) {
  Bf16x8 r;
  for (int i = 0; i < 4; ++i) {
    const uint32_t w = word(u, i);
    r.v[2 * i] = static_cast<uint16_t>(w & 0xFFFFu);
    r.v[2 * i + 1] = static_cast<uint16_t>(w >> 16);
  }
  return r;
}
__device__ __forceinline__ uint4 pack8(const Bf16x8& r) {
  uint32_t w[4];
  for (int i = 0; i < 4; ++i) w[i] = r.v[2 * i] | (static_cast<uint32_t>(r.v[2 * i + 1]) << 16);
  return make_uint4(w[0], w[1], w[2], w[3]);
}

__global__ void __launch_bounds__(kNormThreads) rms_norm_chunks_kernel(RmsNormParams p) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * p.width;
  const int chunks = p.width / 8;
  const bool add = p.delta != nullptr;
  const uint4* x = reinterpret_cast<const uint4*>(p.residual + row);
  const uint4* d = reinterpret_cast<const uint4*>((add ? p.delta : p.residual) + row);
  const uint4* w = reinterpret_cast<const uint4*>(p.weight);
  uint4 xs[kNormChunks], ds[kNormChunks], ws[kNormChunks];
  for (int j = 0; j < kNormChunks; ++j) {  // clamped: every load runs, none in a branch
    const int c = min(static_cast<int>(threadIdx.x) + j * kNormThreads, chunks - 1);
    xs[j] = x[c];
    ds[j] = d[c];
    ws[j] = __ldg(w + c);
  }
  Bf16x8 h[kNormChunks];
  float squares = 0.f;
  for (int j = 0; j < kNormChunks; ++j) {
    const int c = static_cast<int>(threadIdx.x) + j * kNormThreads;
    if (c >= chunks) break;
    h[j] = unpack8(xs[j]);
    if (add) {
      const Bf16x8 dj = unpack8(ds[j]);
      for (int e = 0; e < 8; ++e)
        h[j].v[e] = to_bf16(bf16_to_float(h[j].v[e]) + bf16_to_float(dj.v[e]));
      reinterpret_cast<uint4*>(p.sum + row)[c] = pack8(h[j]);
    }
    for (int e = 0; e < 8; ++e) squares += bf16_to_float(h[j].v[e]) * bf16_to_float(h[j].v[e]);
  }
  const float scale = 1.f / sqrtf(block_sum(squares) / static_cast<float>(p.width) + p.eps);
  for (int j = 0; j < kNormChunks; ++j) {
    const int c = static_cast<int>(threadIdx.x) + j * kNormThreads;
    if (c >= chunks) break;
    const Bf16x8 wj = unpack8(ws[j]);
    Bf16x8 o;
    for (int e = 0; e < 8; ++e)
      o.v[e] = to_bf16(bf16_to_float(wj.v[e]) * rounded(bf16_to_float(h[j].v[e]) * scale));
    reinterpret_cast<uint4*>(p.out + row)[c] = pack8(o);
  }
}

// One block per (head of q, k or v, sequence), one thread per rotated pair.
__global__ void rope_kernel(RopeParams p) {
  const int head = blockIdx.x, b = blockIdx.y, D = p.head_dim, half = D / 2;
  const uint16_t* in = p.qkv + b * p.row_stride + static_cast<int64_t>(head) * D;
  const bool is_q = head < p.heads, is_k = !is_q && head < p.heads + p.kv_heads;
  const bool rotate = is_q || is_k;  // v is copied
  uint16_t *out, *gist = nullptr;    // gist: a second copy of k, for a gist query
  if (is_q) {
    out = p.q + (static_cast<int64_t>(b) * p.heads + head) * D;
  } else {
    const int g = head - p.heads - (is_k ? 0 : p.kv_heads);
    const int64_t bg = static_cast<int64_t>(b) * p.kv_heads + g;
    if (p.cache.steps == nullptr) {
      out = (is_k ? p.k : p.v) + bg * D;
    } else {  // as kv_append_kernel
      const SequenceStep& step = p.cache.steps[b];
      out = (is_k ? p.cache.keys : p.cache.values) + (bg * p.cache.capacity + step.query) * D;
      if (is_k && step.append_level >= 0) {
        const int l = step.append_level;
        gist = p.cache.gist_keys[l] + (bg * p.cache.gist_capacity[l] + step.append_index) * D;
      }
    }
  }
  const uint16_t *cos = p.cos + static_cast<int64_t>(b) * D,
                 *sin = p.sin + static_cast<int64_t>(b) * D;
  for (int j = threadIdx.x; j < half; j += blockDim.x) {
    uint16_t lo = in[j], hi = in[j + half];
    if (rotate) {
      const float x1 = bf16_to_float(lo), x2 = bf16_to_float(hi);
      // x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1]; every op rounded.
      lo = to_bf16(rounded(x1 * bf16_to_float(cos[j])) + rounded(-x2 * bf16_to_float(sin[j])));
      hi = to_bf16(rounded(x2 * bf16_to_float(cos[j + half])) +
                   rounded(x1 * bf16_to_float(sin[j + half])));
    }
    out[j] = lo;
    out[j + half] = hi;
    if (gist != nullptr) {
      gist[j] = lo;
      gist[j + half] = hi;
    }
  }
}

__global__ void silu_mul_kernel(SiluMulParams p) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x, n = p.rows * p.width;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const int64_t at = i / p.width * p.in_stride + i % p.width;
    const float g = bf16_to_float(p.gate[at]);
    p.out[i] = to_bf16(rounded(g / (1.f + expf(-g))) * bf16_to_float(p.up[at]));
  }
}

}  // namespace

void launch_rms_norm(const RmsNormParams& p, cudaStream_t stream) {
  if (p.rows < 1 || p.width < 1) throw std::invalid_argument("rms norm: empty rows");
  if (p.delta != nullptr && p.sum == nullptr)
    throw std::invalid_argument("rms norm: a delta needs a sum to write");
  auto aligned = [](const void* q) { return reinterpret_cast<uintptr_t>(q) % 16 == 0; };
  const bool chunks = p.width % 8 == 0 && p.width <= 8 * kNormThreads * kNormChunks &&
                      aligned(p.residual) && aligned(p.weight) && aligned(p.out) &&
                      (p.delta == nullptr || (aligned(p.delta) && aligned(p.sum)));
  if (chunks) {
    SSA_LAUNCH(rms_norm_chunks_kernel, dim3(p.rows), dim3(kNormThreads), 0, stream, p);
  } else {
    SSA_LAUNCH(rms_norm_kernel, dim3(p.rows), dim3(kNormThreads), 0, stream, p);
  }
  CUDA_CHECK(cudaGetLastError());
}

void launch_rope(const RopeParams& p, cudaStream_t stream) {
  if (p.head_dim < 2 || p.head_dim % 2 != 0)
    throw std::invalid_argument("rope: head_dim must be even");
  if (p.row_stride < static_cast<int64_t>(p.heads + 2 * p.kv_heads) * p.head_dim)
    throw std::invalid_argument("rope: the projection row is shorter than q, k and v");
  if (p.cache.steps == nullptr ? p.k == nullptr || p.v == nullptr : p.cache.keys == nullptr)
    throw std::invalid_argument("rope: k and v need somewhere to go");
  const int threads = p.head_dim / 2 < 32 ? 32 : (p.head_dim / 2 > 256 ? 256 : p.head_dim / 2);
  SSA_LAUNCH(rope_kernel, dim3(p.heads + 2 * p.kv_heads, p.batch), dim3(threads), 0, stream, p);
  CUDA_CHECK(cudaGetLastError());
}

void launch_silu_mul(const SiluMulParams& p, cudaStream_t stream) {
  if (p.rows < 1 || p.width < 1) return;
  if (p.in_stride < p.width) throw std::invalid_argument("silu mul: rows overlap");
  const int threads = 256;
  const int64_t blocks = (p.rows * p.width + threads - 1) / threads;
  SSA_LAUNCH(silu_mul_kernel, dim3(static_cast<unsigned>(blocks < 1024 ? blocks : 1024)),
             dim3(threads), 0, stream, p);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace ssa::kernels
