// Appends one decode step's keys and values to a layer's cache, and a gist's
// key to its level's contiguous gist keys, at the positions the sequence's
// step names (no host synchronisation: the step lives in device memory).
//
// CPU reference: DecodeSession::store and gather_gist_keys
// (engine/decode/decode_session.cpp, selective_attention.cpp).
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/decode_types.h"

namespace ssa::kernels {

struct AppendParams {
  int32_t batch = 0, kv_heads = 0, head_dim = 0;
  const SequenceStep* steps = nullptr;  // [B]
  const uint16_t* k_new = nullptr;      // [B][Hkv][D] bf16
  const uint16_t* v_new = nullptr;
  uint16_t* keys = nullptr;  // [B][Hkv][capacity][D]
  uint16_t* values = nullptr;
  int64_t capacity = 0;
  uint16_t* gist_keys[kMaxLevels] = {};  // [B][Hkv][gist_capacity[l]][D]
  int32_t gist_capacity[kMaxLevels] = {};
};

void launch_kv_append(const AppendParams& params, cudaStream_t stream);

}  // namespace ssa::kernels
