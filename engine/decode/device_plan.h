// What the GPU decode path needs from the host for one step, worked out from
// the layout alone (never from the device): per-level budgets, the query's
// local keys as a few ranges, the training row's gists, the hierarchy as
// flat arrays, and, back from the device, the choices in the CPU
// reference's form (LevelChoice) for the observer and the statistics.
//
// Pure C++ (no CUDA, no LibTorch), compiled in every build, and checked
// against the CPU reference (visible_keys, training_row_keys, select_chunks,
// automatic_budget) by tests/kernels/device_plan_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/decode/chunk_selector.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"
#include "kernels/decode_types.h"

namespace ssa {

// k per level (index = level) of one position's selection, as budget.h's
// budget_selection() worked it out for the position's key length.
std::vector<int> level_budgets(const SelectionSettings& selection, int num_levels);

// The query's keys that need no selection (visible_keys with no choice): the
// sink, its chunk's and the p previous chunks' non-gist keys, the gists the
// hierarchy does not hold yet that its row allows; as sorted disjoint
// [begin, end) ranges. Chunks >= local_chunk_begin have all their raw tokens
// in the ranges, chunks below none (so a chosen chunk adds only its gist).
struct LocalKeys {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  int64_t local_chunk_begin = 0;
};
LocalKeys local_keys(const GistLayout& layout, const GistHierarchy& hierarchy, MaskSettings mask,
                     int64_t query);

// The training row's keys outside local_keys: the held gists the row allows
// (what a dense layer and the gist-only baseline attend on top of the ranges).
std::vector<int64_t> training_row_gists(const GistLayout& layout, const GistHierarchy& hierarchy,
                                        MaskSettings mask, int64_t query);

// The hierarchy as the kernels read it (kernels::HierarchyView), per level.
struct HierarchyArrays {
  std::vector<std::vector<int32_t>> gist_position;  // [level][j]
  std::vector<std::vector<int32_t>> child_begin;    // [level][j + 1], level >= 1 (level 0 empty)
  std::vector<int32_t> chunk_begin;                 // [j]
};
HierarchyArrays hierarchy_arrays(const GistHierarchy& hierarchy);

// The step the kernels read. Throws std::length_error when the local keys
// need more than kernels::kMaxLocalRanges ranges or a position exceeds int32.
kernels::SequenceStep sequence_step(const GistLayout& layout, const GistHierarchy& hierarchy,
                                    MaskSettings mask, int64_t query,
                                    const std::vector<int>& budgets, int64_t row_gist_count);

// Capacities of the GPU path's workspaces for a batch (DeviceAttention
// allocates them; the CPU emulator's tests use the same numbers). Top level
// down, a level's candidates are at most every unit's chosen gists above
// times their children plus the open gists; a unit chooses at most k_max
// (all candidates with top-p); slices of kernels::kSliceSize candidates.
struct WorkspacePlan {
  int32_t units_per_group = 1, attention_units_per_group = 1;
  std::vector<int32_t> candidate_capacity, chosen_capacity, slices;  // per level
  int32_t max_slices = 1, partial_capacity = 1;
  int32_t sort_capacity = 1;     // a power of two: the largest union of chosen gists
  int32_t visible_capacity = 1;  // per attention unit
  int64_t row_capacity = 0;      // training-row gists
  int64_t kv_capacity = 0, max_chunk = 0;
  int keys_per_split = 64;
  // Blocks per attention unit for a key source (kernels::KeySource).
  int32_t attention_splits(int32_t source) const;
};
// Attention keys per split when the settings leave it open (0): the largest
// of 256, 128, 64 whose splits still give every one of `multiprocessors` a
// block for the selected keys of `attention_units` units (batch x KV heads x
// attention units per group); 64 when none does. Measured on the H200 (128K,
// k 16): batch 1 is latency-bound and fastest at 64 (37 us, 43 at 256); batch
// 8 head mode, 29 splits of 64 for each of 32 units, is fastest at 256 (81
// us, 92 at 64).
int auto_keys_per_split(const WorkspacePlan& plan, int64_t attention_units, int multiprocessors);
// mode: kernels::GqaUnits. group_sizes: c1, c2, ... (one fewer than levels).
WorkspacePlan plan_workspace(const std::vector<int64_t>& group_sizes,
                             const std::vector<int64_t>& gist_capacity, int64_t kv_capacity,
                             int64_t max_chunk, int32_t mode, int32_t group_size, bool top_p,
                             int k_max, int keys_per_split);

// The candidates the device offers a group's units at `level`, ascending: the
// children of every unit's chosen gists one level up (all of the top level's
// gists at the top), then the level's open gists; units[i] = the bits of the
// units that may choose candidate i. What the score buffers are indexed by.
struct GroupCandidates {
  std::vector<int64_t> gists;
  std::vector<uint32_t> units;
};
GroupCandidates group_candidates(const GistHierarchy& hierarchy, int level,
                                 const std::vector<std::vector<int64_t>>& chosen_above);

// A group's device choices in the CPU reference's form: chosen[u][level] are
// unit u's chosen gists (ascending, as the device leaves them); scores, when
// given, are the device's per unit and level, indexed like group_candidates
// (empty: scores 0 and chosen kept ascending). One LevelChoice list per unit,
// top level first, levels without candidates left out (as select_chunks).
std::vector<std::vector<LevelChoice>> device_choices(
    const GistHierarchy& hierarchy, const std::vector<std::vector<std::vector<int64_t>>>& chosen,
    const std::vector<std::vector<std::vector<float>>>& scores);

// One sequence's choice buffers of one level as the device leaves them:
// chosen [units][chosen_capacity] (ascending), count [units], scores
// [units][score_capacity] by group candidate slot (null when not kept).
struct LevelBuffers {
  const int32_t* chosen = nullptr;
  int32_t chosen_capacity = 0;
  const int32_t* count = nullptr;
  const float* scores = nullptr;
  int32_t score_capacity = 0;
};
// device_choices for every group of a sequence: one LevelChoice list per unit
// (units ordered group by group, as the CPU reference's heads or groups).
std::vector<std::vector<LevelChoice>> choices_from_buffers(const GistHierarchy& hierarchy,
                                                           int64_t groups, int64_t units_per_group,
                                                           const std::vector<LevelBuffers>& levels);

}  // namespace ssa
