// Expands a block description into a dense mask: one thread block per query
// block, threads striding over the cells of each listed key block.
#include "kernels/block_mask_expand.h"

#include "kernels/cuda_check.h"

namespace ssa::kernels {
namespace {

constexpr uint8_t kFullKind = 1;  // ssa::BlockKind::kFull

__global__ void expand_block_mask_kernel(DeviceBlockMask mask, uint8_t* out) {
  const int64_t qb = blockIdx.x;
  const int64_t b = mask.block_size;
  const int64_t q0 = qb * b;
  const int64_t rows = min(b, mask.length - q0);
  for (int64_t e = mask.row_offsets[qb]; e < mask.row_offsets[qb + 1]; ++e) {
    const int64_t k0 = static_cast<int64_t>(mask.key_blocks[e]) * b;
    const int64_t cols = min(b, mask.length - k0);
    const bool full = mask.kinds[e] == kFullKind;
    for (int64_t cell = threadIdx.x; cell < rows * cols; cell += blockDim.x) {
      const int64_t q = q0 + cell / cols, k = k0 + cell % cols;
      out[q * mask.length + k] = full || training_mask_allows(mask.rule, q, k);
    }
  }
}

}  // namespace

void expand_block_mask_on_device(const DeviceBlockMask& mask, uint8_t* out, cudaStream_t stream) {
  if (mask.length == 0) return;
  CUDA_CHECK(cudaMemsetAsync(out, 0, mask.length * mask.length, stream));
  const int64_t num_blocks = (mask.length + mask.block_size - 1) / mask.block_size;
  expand_block_mask_kernel<<<static_cast<unsigned>(num_blocks), 256, 0, stream>>>(mask, out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace ssa::kernels
