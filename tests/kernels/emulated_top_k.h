// The warp top-k primitives (kernels/selection_primitives.cuh) run alone by
// the CPU emulator, so that tests can hand them keys the layer cases rarely
// make (scores that tie, holes, every k).
#pragma once

#include <cstdint>
#include <vector>

namespace ssa::testing {

struct WarpTopK {
  uint64_t radix = 0, registers = 0;  // the radix walk's and the rounds' thresholds
  int32_t radix_valid = 0, registers_valid = 0;
  // warp_top_threshold_pivot's over 16 keys a lane, and over 8 (the slice's
  // layout; only when n <= 256, else 0).
  uint64_t pivot = 0, pivot8 = 0;
  int32_t pivot_valid = 0, pivot8_valid = 0;
  std::vector<uint64_t> compacted;  // warp_compact_registers' output, by rank
};

// One warp over keys[0 .. n), n <= 512 (key i at lane i % 32, register i / 32).
WarpTopK emulated_warp_top_k(const std::vector<uint64_t>& keys, int32_t k);

struct BlockTopK {
  uint64_t threshold = 0;           // block_top_threshold's
  int32_t valid = 0;                // block_sum of the threads' nonzero keys
  std::vector<uint64_t> compacted;  // block_compact_by_slot's output, by rank
};

// Which slots a thread of the block top-k holds: t, t + 256, ... (the
// two-pass choose kernel's), or [w t, w t + w), w = ceil(n / 256).
enum class BlockLayout { kStrided, kContiguous };

// One block of kBlockTopThreads threads over keys[0 .. n), n <= 8192, in
// `layout`. Key i must be candidate_key(score, i), or 0.
BlockTopK emulated_block_top_k(const std::vector<uint64_t>& keys, int32_t k, BlockLayout layout);

}  // namespace ssa::testing
