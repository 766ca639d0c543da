// The training mask of ssa-spec.md (rules 1-5) as a per-pair predicate.
//
// Header-only and free of LibTorch so that three places share one definition:
// the CPU block-mask builder (engine/mask/block_mask.cpp), CUDA kernels that
// rebuild a partial block's bits on the fly (kernels/), and the GUI's mask view
// zoomed in past block level (app/gui), which has the recorded roles and ids.
// The dense CPU reference (training_mask.cpp) is written independently, as
// per-row visible ranges, so that tests compare two formulations.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SSA_HOST_DEVICE __host__ __device__
#else
#define SSA_HOST_DEVICE
#endif

namespace ssa {

struct MaskSettings {
  int previous_chunks = 0;  // p: level-0 tokens also see the p previous chunks
};

// What the predicate reads: per position a role (0 raw, 1 gist, k+1 level-k
// meta-gist) and ids [num_levels] (chunk id, then group id of levels 1..top).
struct MaskRuleView {
  const int8_t* roles = nullptr;
  const int32_t* ids = nullptr;  // row-major [L][num_levels]
  int num_levels = 1;
  int64_t sink_length = 0;
  int previous_chunks = 0;
  bool has_gists = false;
};

// True when query position q may attend to key position k in training.
SSA_HOST_DEVICE inline bool training_mask_allows(const MaskRuleView& m, int64_t q, int64_t k) {
  if (k > q) return false;             // causality
  if (!m.has_gists) return true;       // rule 5: no gist, plain causal mask
  if (k < m.sink_length) return true;  // rule 4: the sink
  const int top = m.num_levels - 1;
  const int lq = m.roles[q] - 1;  // -1 raw, 0 gist, i meta-gist
  const int lk = m.roles[k] - 1;
  const int32_t* iq = m.ids + q * m.num_levels;
  const int32_t* ik = m.ids + k * m.num_levels;
  const int p = m.previous_chunks;
  // Rule 2, literally as the reference's raw_l0_mask: a level-0 token sees
  // every position whose chunk id is its own or 1..p smaller, meta-gists that
  // carry such an id included (a meta-gist has the id of the chunk after it).
  if (lq <= 0 && iq[0] - ik[0] <= p) return true;
  if (lk < 0) return false;
  // Rule 1: a gist stays visible until a gist of a higher level stands in
  // (k, q]: then the higher one summarises it. The query itself counts.
  bool covered = false;
  for (int level = lk + 1; level <= top; ++level) {
    if (iq[level] + (lq == level ? 1 : 0) != ik[level]) {
      covered = true;
      break;
    }
  }
  if (!covered) return true;
  // Rule 3: a level-i gist sees the level-(i-1) gists of the group it closes;
  // with p > 0 queries of level <= i see those of the p groups before theirs.
  const int i = lk + 1;
  if (i > top || lq > i) return false;
  const int d = iq[i] - ik[i];
  return (lq == i && d == 0) || (d >= 1 && d <= p);
}

}  // namespace ssa
