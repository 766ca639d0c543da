// GPU expansion of the training mask's block description into dense bits.
//
// The same work an attention kernel does per tile: skip empty blocks, fill
// full ones, rebuild partial ones from roles and ids with the shared rule
// (engine/mask/mask_rule.h). Its CPU reference is ssa::expand_block_mask().
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "engine/mask/mask_rule.h"

namespace ssa::kernels {

// All pointers are device pointers. rule.roles / rule.ids point to device
// copies of the layout's arrays; out receives length*length bytes (0/1) and is
// fully overwritten.
struct DeviceBlockMask {
  MaskRuleView rule;
  int64_t length = 0;
  int block_size = 128;
  const int64_t* row_offsets = nullptr;  // [num_blocks + 1]
  const int32_t* key_blocks = nullptr;
  const uint8_t* kinds = nullptr;  // ssa::BlockKind values
};

void expand_block_mask_on_device(const DeviceBlockMask& mask, uint8_t* out, cudaStream_t stream);

}  // namespace ssa::kernels
