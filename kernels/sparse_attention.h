// Sparse decode attention over each unit's visible keys: split-KV
// (flash-decoding), one pass over the keys of a KV group for all its query
// heads, any number of sequences with their own key sets.
//
// A unit's keys are a list (the selection's visible list, or the training
// row's gists) followed by the step's local ranges, or every position up to
// the query (key_position in decode_types.h). Each of `splits` blocks reads a
// share of them and leaves a partial softmax (max, sum, weighted values); the
// last block of the unit combines the partials into the output.
//
// CPU reference: attend() in engine/decode/selective_attention.cpp over
// visible_keys() (and full_attention() for kAllKeys); tests/kernels compare.
// Benchmark: `ssa-workbench bench kernels`.
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/decode_types.h"

namespace ssa::kernels {

struct AttendParams {
  int32_t batch = 0, kv_heads = 0, group_size = 0, head_dim = 0;
  int32_t mode = kHeadUnits;  // independent: one unit per head, else one per KV group
  int32_t source = kSelectedKeys;
  float scale = 1;  // 1 / sqrt(head_dim)

  const uint16_t* q = nullptr;          // [B][H][D] bf16
  const SequenceStep* steps = nullptr;  // [B]
  const uint16_t* keys = nullptr;       // [B][Hkv][capacity][D] bf16
  const uint16_t* values = nullptr;
  int64_t capacity = 0;

  const int32_t* list = nullptr;        // kSelectedKeys: [B][units][list_capacity]
  const int32_t* list_count = nullptr;  // kSelectedKeys: [B][units]
  int32_t list_capacity = 0;            // kTrainingRow: [B][list_capacity], count in the step

  bool overlap_launch = false;  // programmatic dependent launch after the selection
  int32_t splits = 1;           // blocks per unit, <= kMaxAttendSplits
  uint16_t* partial_values =
      nullptr;                     // [B*units][splits][16][D] fp16: each split's normalized output
  float* partial_stats = nullptr;  // [B*units][splits][16][2]: max logit, sum of weights
  uint32_t* counters = nullptr;    // [B*units], zero between launches
  float* out = nullptr;            // [B][H][D] fp32, or:
  uint16_t* out_bf16 = nullptr;    // [B][H][D] bf16 (fp32 rounded to nearest even)
  int32_t* errors = nullptr;
  // Non-null: per-phase timestamps (kernels/phase_clock.h, `bench kernels --phases`).
  unsigned long long* phase_clock = nullptr;
};

// Versions: 1 plain fp32 loops over shared memory, 2 bf16 mma for q.k and
// p.v (values transposed in registers), fp32 softmax and accumulators.
constexpr int kAttendVersions = 2;

void launch_sparse_attention(const AttendParams& params, int version, cudaStream_t stream);

}  // namespace ssa::kernels
