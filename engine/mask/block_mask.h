// The training mask as a block-sparse description, for kernels and long streams.
//
// The [L, L] mask is cut into query blocks and key blocks of `block_size`
// (64 or 128). For each query block the description lists, in key order, the
// key blocks that are not empty and their kind. A kernel skips empty blocks,
// loads full ones without masking, and rebuilds a partial block's bits from
// the per-position roles and ids with training_mask_allows() (mask_rule.h).
// Building it never materialises the dense mask: cost ~ L/B * (L/B + near blocks).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"

namespace ssa {

enum class BlockKind : uint8_t {
  kEmpty = 0,      // nothing visible (never listed)
  kFull = 1,       // every query of the block sees every key of the block
  kGistsOnly = 2,  // partial, and only gists are visible: a kernel may gather just them
  kMixed = 3,      // partial, raw tokens visible too
};

struct BlockMask {
  int64_t length = 0;
  int block_size = 128;
  MaskSettings settings;
  std::vector<int64_t> row_offsets;  // CSR over query blocks, size num_blocks() + 1
  std::vector<int32_t> key_blocks;   // key block of each entry, ascending within a row
  std::vector<BlockKind> kinds;      // kind of each entry (never kEmpty)

  int64_t num_blocks() const { return (length + block_size - 1) / block_size; }
  // Kind of block (query block, key block); kEmpty when not listed.
  BlockKind kind(int64_t query_block, int64_t key_block) const;
};

// Throws std::invalid_argument unless block_size is 64 or 128.
BlockMask build_block_mask(const GistLayout& layout, MaskSettings settings, int block_size = 128);

// Dense bits (L*L bytes) from the description: full blocks set, partial blocks
// rebuilt by the predicate. What a kernel computes; tests compare it with the
// dense reference.
std::vector<uint8_t> expand_block_mask(const BlockMask& blocks, const GistLayout& layout);

}  // namespace ssa
