// KV append for a decode step: one block per (KV head, sequence), 16 bytes a
// thread. CPU reference: DecodeSession::store (engine/decode/decode_session.cpp).
// Bytes: 3 rows of D * 2 bytes per KV head (K, V, and K again for a gist).
#include "kernels/kv_append.h"

#include <stdexcept>

#include "kernels/cuda_check.h"
#include "kernels/launch.h"

namespace ssa::kernels {
namespace {

__global__ void kv_append_kernel(AppendParams p) {
  const int g = blockIdx.x, b = blockIdx.y;
  const SequenceStep& step = p.steps[b];
  const int64_t bg = static_cast<int64_t>(b) * p.kv_heads + g;
  const int64_t row = (bg * p.capacity + step.query) * p.head_dim;
  for (int i = threadIdx.x; i < p.head_dim / 8; i += blockDim.x) {
    const uint4 k = reinterpret_cast<const uint4*>(p.k_new + bg * p.head_dim)[i];
    const uint4 v = reinterpret_cast<const uint4*>(p.v_new + bg * p.head_dim)[i];
    reinterpret_cast<uint4*>(p.keys + row)[i] = k;
    reinterpret_cast<uint4*>(p.values + row)[i] = v;
    if (step.append_level >= 0) {
      const int l = step.append_level;
      const int64_t gist_row = (bg * p.gist_capacity[l] + step.append_index) * p.head_dim;
      reinterpret_cast<uint4*>(p.gist_keys[l] + gist_row)[i] = k;
    }
  }
}

}  // namespace

void launch_kv_append(const AppendParams& p, cudaStream_t stream) {
  if (p.head_dim % 8 != 0)
    throw std::invalid_argument("kv append: head_dim must be a multiple of 8");
  SSA_LAUNCH(kv_append_kernel, dim3(p.kv_heads, p.batch), dim3(32), 0, stream, p);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace ssa::kernels
