// Per-phase device timestamps for `bench kernels --phases`: where a decode
// step's time goes inside the selection and attention kernels.
//
// The slots are a small device buffer of uint64 nanoseconds (%globaltimer),
// written only when the kernels' `phase_clock` pointer is set (a uniform
// branch on a kernel parameter: nothing else runs when it is null). "First"
// slots keep the earliest time any block reached the point (atomicMin, the
// host fills them with ~0), "last" slots the latest (atomicMax, filled with
// 0); thread 0 of each block writes, after a barrier where one is at hand.
#pragma once

#include <cstdint>

#include "kernels/decode_types.h"

namespace ssa::kernels {

// Selection slots of level l: l * kPhasesPerLevel + phase.
enum SelectionPhase : int32_t {
  kSelStart = 0,      // first: a block of the level starts
  kSelScored = 1,     // last: a block has its slice's scores in shared memory
  kSelRecorded = 2,   // last: a block wrote its scores (the recorder's; two-pass: always)
  kSelSliceKeys = 3,  // last: a block's warps wrote their top k (before the fence)
  kSelSliceTop = 4,   // last: a block wrote its slice's top k (after the fence, before the counter)
  kSelTail = 5,    // last: a group's last block starts to merge (two-pass: a choose block starts)
  kSelMerged = 6,  // last: the units' choices are written
  kSelUnion = 7,   // last: the first union of the tail is built (one chooser a unit: lists start)
  kSelEnd = 8,     // last: the next level's candidates / the visible lists are written
  kPhasesPerLevel = 9,
};
// Attention slots.
enum AttendPhase : int32_t {
  kAttStart = kMaxLevels * kPhasesPerLevel,  // first: a split starts
  kAttComputed,                              // last: a split's partial is stored (before the fence)
  kAttSplitsDone,                            // last: a split wrote its partial (after the fence)
  kAttCombine,                               // last: a unit's last block starts the combine
  kAttEnd,                                   // last: a unit's output is written
  kPhaseSlots,
};
// Which slots keep the earliest time (the rest keep the latest).
SSA_HOST_DEVICE inline bool phase_is_first(int32_t slot) {
  return slot == kAttStart || (slot < kAttStart && slot % kPhasesPerLevel == kSelStart);
}

}  // namespace ssa::kernels
