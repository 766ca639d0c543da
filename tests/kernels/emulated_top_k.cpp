// kernels/selection_primitives.cuh's top-k on one emulated warp.
#include "tests/kernels/cuda_emulation.h"

#include <cstdlib>

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
    __shared__ uint64_t scratch[32];
    const int lane = kernels::lane_id();
    uint64_t reg[kPer];
    for (int j = 0; j < kPer; ++j) {
      const int32_t i = 32 * j + lane;
      reg[j] = i < n ? keys[static_cast<size_t>(i)] : kernels::kNotCandidate;
    }
    const kernels::TopThreshold radix = kernels::warp_top_threshold(
        [&](int32_t i) { return keys[static_cast<size_t>(i)]; }, n, k, hist);
    const kernels::TopThreshold registers = kernels::warp_top_threshold_registers(reg, k);
    const kernels::TopThreshold pivot = kernels::warp_top_threshold_pivot(reg, k, scratch);
    kernels::TopThreshold pivot8;
    if (n <= 32 * kPer / 2) {
      uint64_t half[kPer / 2];
      for (int j = 0; j < kPer / 2; ++j) half[j] = reg[j];
      pivot8 = kernels::warp_top_threshold_pivot(half, k, scratch);
    }
    kernels::warp_compact_registers(reg, registers.threshold,
                                    [&](int32_t, uint64_t key, int32_t rank) {
                                      out.compacted[static_cast<size_t>(rank)] = key;
                                    });
    if (lane == 0) {
      out.radix = radix.threshold;
      out.radix_valid = radix.valid;
      out.registers = registers.threshold;
      out.registers_valid = registers.valid;
      out.pivot = pivot.threshold;
      out.pivot_valid = pivot.valid;
      out.pivot8 = n <= 32 * kPer / 2 ? pivot8.threshold : 0;
      out.pivot8_valid = pivot8.valid;
    }
  });
  return out;
}

BlockTopK emulated_block_top_k(const std::vector<uint64_t>& keys, int32_t k, BlockLayout layout) {
  constexpr int kPer = kernels::kBlockTopPerThread, kThreads = kernels::kBlockTopThreads;
  const int32_t n = static_cast<int32_t>(keys.size());
  const int32_t w = (n + kThreads - 1) / kThreads;
  BlockTopK out;
  out.compacted.assign(static_cast<size_t>(n), 0);
  ssa_emu::launch(dim3(1), dim3(kThreads), [&] {
    __shared__ kernels::BlockTopScratch scratch;
    kernels::SlotKeys<kPer> reg;
    const bool strided = layout == BlockLayout::kStrided;
    reg.first = strided ? static_cast<int32_t>(threadIdx.x) : w * static_cast<int32_t>(threadIdx.x);
    reg.stride = strided ? kThreads : 1;
    uint32_t valid = 0;
    for (int j = 0; j < kPer; ++j) {
      const int32_t i = reg.slot(j);
      const bool held = strided || j < w;
      const uint64_t key = held && i < n ? keys[static_cast<size_t>(i)] : kernels::kNotCandidate;
      reg.score[j] = static_cast<uint32_t>(key >> 32);
      if (reg.at(j) != key) std::abort();  // the keys must be candidate_key(score, index)
      valid += key != kernels::kNotCandidate ? 1u : 0u;
    }
    const int32_t total = static_cast<int32_t>(kernels::block_sum(valid, scratch));
    const uint64_t threshold = kernels::block_top_threshold(reg, k, total, scratch);
    const int32_t kept = kernels::block_compact_by_slot(
        reg, threshold, scratch, [&](int32_t slot, uint64_t key, int32_t rank) {
          if (key != keys[static_cast<size_t>(slot)]) std::abort();  // emitted with its own slot
          out.compacted[static_cast<size_t>(rank)] = key;
        });
    if (threadIdx.x == 0) {
      out.threshold = threshold;
      out.valid = total;
      out.compacted.resize(static_cast<size_t>(kept));
    }
  });
  return out;
}

}  // namespace ssa::testing
