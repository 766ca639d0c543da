// kernels/selection_primitives.cuh's top-k on one emulated warp.
#include "tests/kernels/cuda_emulation.h"

// The emulation above must come first.
#include "kernels/selection_primitives.cuh"
#include "tests/kernels/emulated_top_k.h"

namespace ssa::testing {

WarpTopK emulated_warp_top_k(const std::vector<uint64_t>& keys, int32_t k) {
  constexpr int kPer = 16;
  const int32_t n = static_cast<int32_t>(keys.size());
  WarpTopK out;
  out.compacted.assign(static_cast<size_t>(n), 0);
  ssa_emu::launch(dim3(1), dim3(32), [&] {
    __shared__ uint32_t hist[256];
    const int lane = kernels::lane_id();
    uint64_t reg[kPer];
    for (int j = 0; j < kPer; ++j) {
      const int32_t i = 32 * j + lane;
      reg[j] = i < n ? keys[static_cast<size_t>(i)] : kernels::kNotCandidate;
    }
    const kernels::TopThreshold radix = kernels::warp_top_threshold(
        [&](int32_t i) { return keys[static_cast<size_t>(i)]; }, n, k, hist);
    const kernels::TopThreshold registers = kernels::warp_top_threshold_registers(reg, k);
    kernels::warp_compact_registers(reg, registers.threshold,
                                    [&](int32_t, uint64_t key, int32_t rank) {
                                      out.compacted[static_cast<size_t>(rank)] = key;
                                    });
    if (lane == 0) {
      out.radix = radix.threshold;
      out.radix_valid = radix.valid;
      out.registers = registers.threshold;
      out.registers_valid = registers.valid;
    }
  });
  return out;
}

}  // namespace ssa::testing
