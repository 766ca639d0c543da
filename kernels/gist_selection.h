// Gist selection on the device (ssa-spec.md, "Inference", steps 1-6): score,
// choose, descend, and the visible lists the attention reads.
//
// One launch per level, top level first. A launch scores one level's
// candidates of every (sequence, KV group) in slices of kSliceSize (one block
// each) with the group's query heads and keeps each unit's top k of its
// slice; the last block of a group to finish merges the slices into the
// unit's choice, then builds the next level's candidates (the children of
// every unit's chosen gists, with the units that may choose each, and the
// level's open gists), or, at level 0, the visible list of every attention
// unit (chosen gists of every level and the unfolded chunks). No host
// synchronisation: counts and lists stay in device memory. Where
// two_pass_level() holds, a level is two launches instead: the slices'
// scores only, then one block per unit chooses over the whole level.
//
// CPU reference: select_chunks + visible_keys (engine/decode/chunk_selector.cpp,
// visible_set.cpp) as selective_attention() drives them; tests/kernels compare.
// Benchmark: `ssa-workbench bench kernels`.
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/decode_types.h"

namespace ssa::kernels {

// Every pointer is device memory; bf16 tensors are passed as their bits.
struct SelectionParams {
  int32_t batch = 0, kv_heads = 0, group_size = 0, head_dim = 0, num_levels = 1;
  int32_t mode = kHeadUnits;
  bool quarter_cap = true;
  float top_p = 0;  // > 0: top-p instead of the budget

  const uint16_t* q = nullptr;          // [B][H][D] rotated queries (bf16)
  const SequenceStep* steps = nullptr;  // [B]
  HierarchyView hierarchy;
  const uint16_t* gist_keys[kMaxLevels] = {};  // [B][Hkv][gist_capacity[l]][D] this layer's

  // Candidates of the levels below the top, per (sequence, group): ascending
  // gist indices and the bits of the group's units that may choose each.
  int32_t* candidates[kMaxLevels] = {};         // [B*Hkv][candidate_capacity[l]]
  uint32_t* candidate_units[kMaxLevels] = {};   // [B*Hkv][candidate_capacity[l]]
  int32_t* candidate_count[kMaxLevels] = {};    // [B*Hkv]
  int32_t candidate_capacity[kMaxLevels] = {};  // the top level's: its gist capacity
  int32_t slices[kMaxLevels] = {};              // blocks per (sequence, group) and level

  // Each slice's top k per unit, as candidate keys (candidate_key).
  uint64_t* partial_keys = nullptr;  // [B*Hkv][max_slices][units][partial_capacity]
  int32_t* partial_count = nullptr;  // [B*Hkv][max_slices][units]: keys kept
  int32_t* partial_valid = nullptr;  // [B*Hkv][max_slices][units]: candidates offered
  int32_t partial_capacity = 0, max_slices = 0;
  // > 0: the merging block first copies its group's slice results (keys,
  // counts, offered) into this much dynamic shared memory (at most
  // kMaxMergeSharedBytes; merge_shared_bytes() says how much a plan needs).
  int32_t merge_shared_bytes = 0;
  // Launch the levels below the top as programmatic dependent launches
  // (each may start while the level above merges: kernels/launch.h).
  bool overlap_launches = false;
  // k up to kRegisterTopK (no top-p): the slices' and the merge's top-k by
  // warp arg-max rounds over keys in registers (selection_primitives.cuh);
  // false: the radix walk everywhere (the earlier path, same choices).
  bool register_top_k = true;
  // With register_top_k, k up to kPivotTopK: the threshold by one pivot and
  // one rank pass (warp_top_threshold_pivot) instead of k arg-max rounds;
  // false: the rounds (the same choices).
  bool pivot_top_k = true;
  uint32_t* counters = nullptr;  // [kMaxLevels][B*Hkv], zero between launches

  // The choices, ascending gist indices per unit (unit = head, or group in group mode).
  int32_t* chosen[kMaxLevels] = {};        // [B][units_total][chosen_capacity[l]]
  int32_t* chosen_count[kMaxLevels] = {};  // [B][units_total]
  int32_t chosen_capacity[kMaxLevels] = {};
  float* scores[kMaxLevels] =
      {};  // when recording: [B][units_total][candidate_capacity[l]] by slot
  // The two-pass selection (see launch_gist_selection): a scores kernel
  // writes every unit's candidate scores to choice_scores[l] (the shape of
  // scores[l]: the recording buffer itself when recording, else a
  // workspace), then a choose kernel, one block per unit, takes the unit's
  // top k of the level at once. Per level, where two_pass_level() says so;
  // the other levels run the slices' top-k and the last block's merge.
  bool two_pass = false;
  float* choice_scores[kMaxLevels] = {};

  // Visible lists: stream positions of chosen gists and unfolded chunks
  // (the step's local ranges come on top, see key_position).
  int32_t* visible = nullptr;        // [B][attention_units_total][visible_capacity]
  int32_t* visible_count = nullptr;  // [B][attention_units_total]
  int32_t visible_capacity = 0;

  // Union sorts too large for shared memory run here.
  uint64_t* sort_scratch = nullptr;  // [B*Hkv][2 * sort_capacity]
  int32_t* scan_scratch = nullptr;   // [B*Hkv][sort_capacity]
  int32_t sort_capacity = 0;         // a power of two
  int32_t* errors = nullptr;         // DecodeError bits, or null
  // Non-null: per-phase timestamps (kernels/phase_clock.h, `bench kernels --phases`).
  unsigned long long* phase_clock = nullptr;
};

// Scoring versions: 1 plain fp32 loops (the simplest correct kernel), 2 bf16
// tensor-core mma with fp32 accumulation (the fast one). Both choose alike.
constexpr int kSelectionVersions = 2;

constexpr int32_t kMaxMergeSharedBytes = 160 * 1024;
inline int64_t merge_shared_bytes(int32_t max_slices, int32_t units, int32_t partial_capacity) {
  return static_cast<int64_t>(max_slices) * units * (partial_capacity * 8 + 8);
}

// Candidates per unit the two-pass choose kernel holds (256 threads x 32 keys).
constexpr int32_t kTwoPassMaxCandidates = 8192;

// Whether `level` runs the two-pass selection: asked for (two_pass, set by
// the host only when k <= kRegisterTopK everywhere), the register top-k, no
// top-p, a score buffer, and at most kTwoPassMaxCandidates candidates.
inline bool two_pass_level(const SelectionParams& p, int level) {
  return p.two_pass && p.register_top_k && p.top_p <= 0 && p.choice_scores[level] != nullptr &&
         p.candidate_capacity[level] <= kTwoPassMaxCandidates;
}

// Runs every level, top first, on `stream`. head_dim 64 or 128, group_size <= 16.
void launch_gist_selection(const SelectionParams& params, int version, cudaStream_t stream);

}  // namespace ssa::kernels
