// Selective attention of a batch of decode queries on the GPU: the device
// workspaces of the selection and attention kernels (kernels/), sized once
// for a batch's capacities, and one call per layer that chooses and attends
// without a host synchronisation (capturable in a CUDA graph).
//
// Per sequence the host states the hierarchy (set_hierarchy, when it
// changes) and each step (set_step + upload_steps: query position, counts,
// budgets, local ranges). Everything else stays on the device; the choices
// of every layer are kept for the observer and the statistics.
//
// CPU reference: selective_attention() (engine/decode/selective_attention.cpp).
// Built only with CUDA (SSA_WITH_CUDA); tests/kernels/device_decode_test.cpp.
#pragma once

#if defined(SSA_WITH_CUDA)

#include <ATen/ATen.h>
#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>
#include <vector>

#include "engine/decode/chunk_selector.h"
#include "engine/decode/device_plan.h"
#include "engine/decode/selective_attention.h"
#include "kernels/decode_types.h"
#include "kernels/gist_selection.h"
#include "kernels/kv_append.h"
#include "kernels/sparse_attention.h"

namespace ssa {

// Shapes and capacities of the batch (the same for every sequence).
struct DeviceDecodeShape {
  int64_t batch = 1, heads = 0, kv_heads = 0, head_dim = 0;
  std::vector<int64_t> group_sizes;    // c1, c2, ...: gists per gist of the level above
  int64_t kv_capacity = 0;             // stream positions per sequence
  std::vector<int64_t> gist_capacity;  // gists per level per sequence
  int64_t max_chunk = 0;               // longest chunk: raw tokens + its gist
  int num_levels() const { return static_cast<int>(group_sizes.size()) + 1; }
};

struct DeviceSelectionSettings {
  GqaMode mode = GqaMode::kHead;
  bool quarter_cap = true;
  double top_p = 0;
  int k_max = 4;                // the largest k any level asks for while the plan lives
  int version = 2;              // kernel version: 1 plain loops, 2 tensor cores
  int layers = 1;               // layers whose choices are kept
  bool record_scores = false;   // keep every candidate's score too
  int record_sets = 1;          // 2: steps alternate buffers, so a copy overlaps the next step
  int keys_per_split = 0;       // attention keys per block; 0: auto_keys_per_split (device_plan.h)
  bool merge_in_shared = true;  // merge slices through shared memory when they fit
  // Programmatic dependent launches between the layer's kernels (each starts
  // while the one before merges): kernels/launch.h.
  bool overlap_launches = false;
  // The slices' and the merge's top-k by warp arg-max rounds in registers
  // (k <= 32, no top-p); false, or SSA_SELECT_TOPK=radix in the environment:
  // the radix walk of the earlier kernels (same choices), should the new
  // path misbehave on a GPU.
  bool register_top_k = true;
  // With register_top_k, k up to kernels::kPivotTopK: the threshold by one
  // pivot and one rank pass instead of k dependent arg-max rounds; false, or
  // SSA_SELECT_TOPK=rounds: the rounds (same choices), to compare the two.
  bool pivot_top_k = true;
  // With register_top_k, no top-p and k_max <= kernels::kRegisterTopK: per
  // level of at most kernels::kTwoPassMaxCandidates candidates, the two-pass
  // selection (a scores kernel, then one block per unit takes its top k of
  // the whole level: no slice top-k, no merge; kernels/gist_selection.h);
  // false, or SSA_SELECT_TOPK=slices (or rounds, radix): the slices' top-k
  // and the merge (same choices). Measured on the H200 once its loads were
  // unconditional (docs/benchmarks.md, sixth run), it was as fast or faster
  // than the slices in every 128K row but two (chunk4-chunk4 head mode, B 1
  // and 32: 0.4-1.9% slower; an earlier run had 8K, B 8, head mode, k 8 9%
  // slower), so it runs wherever it applies.
  bool two_pass_selection = true;
};

// settings.register_top_k unless SSA_SELECT_TOPK=radix is in the environment.
bool uses_register_top_k(const DeviceSelectionSettings& settings);
// settings.pivot_top_k unless SSA_SELECT_TOPK is rounds or radix.
bool uses_pivot_top_k(const DeviceSelectionSettings& settings);
// settings.two_pass_selection unless SSA_SELECT_TOPK is slices, rounds or radix
// (or the register top-k is off).
bool uses_two_pass_selection(const DeviceSelectionSettings& settings);

// One layer's cache: bf16 [B, Hkv, kv_capacity, D] and per level [B, Hkv, gist_capacity, D].
struct DeviceLayerCache {
  at::Tensor keys, values;
  std::vector<at::Tensor> gist_keys;
};

class DeviceAttention {
 public:
  // Throws std::invalid_argument naming what the kernels cannot do (head_dim,
  // heads per KV head, levels, a union too large for top-p).
  DeviceAttention(DeviceDecodeShape shape, DeviceSelectionSettings settings, c10::Device device);

  const DeviceDecodeShape& shape() const { return shape_; }
  const DeviceSelectionSettings& settings() const { return settings_; }
  int units_per_group() const;          // choosing units of a KV group
  int attention_units() const;          // attention units per sequence
  DeviceLayerCache make_cache() const;  // a zeroed layer cache

  // Host -> device, on `stream` (asynchronous, from pageable memory: the
  // arguments may change as soon as the call returns).
  void set_hierarchy(int64_t sequence, const GistHierarchy& hierarchy, cudaStream_t stream);
  void set_training_row(int64_t sequence, const std::vector<int64_t>& gists, cudaStream_t stream);
  void set_step(int64_t sequence, const kernels::SequenceStep& step);
  void upload_steps(cudaStream_t stream);
  const kernels::SequenceStep& step(int64_t sequence) const { return host_steps_[sequence]; }

  // q [B, H, D] bf16 contiguous -> out [B, H, D] float32 or bf16 (the fp32
  // result rounded to nearest even), for `layer`'s cache.
  // The choices go to buffer set `set`, with the scores when `scores`.
  void attend(int layer, const at::Tensor& q, const DeviceLayerCache& cache,
              kernels::KeySource source, const at::Tensor& out, cudaStream_t stream, int set = 0,
              bool scores = false);
  // k, v [B, Hkv, D] bf16 contiguous: the step's position (and gist key).
  void append(const at::Tensor& k, const at::Tensor& v, const DeviceLayerCache& cache,
              cudaStream_t stream);
  // What append passes its kernel but k and v: for a kernel that writes the
  // step's keys and values itself (DeviceDecoder's fused RoPE).
  kernels::AppendParams append_params(const DeviceLayerCache& cache) const;

  // Results of the last attend of `layer` into `set` (device tensors, views
  // of one flat buffer per set: read after a sync, or copy the whole buffer).
  // chosen [B, units, capacity] ascending gist indices, chosen_count [B, units],
  // scores [B, units, candidate capacity] by candidate slot (group_candidates).
  const at::Tensor& chosen(int set, int layer, int level) const {
    return chosen_[set][layer][level];
  }
  const at::Tensor& chosen_count(int set, int layer, int level) const {
    return chosen_count_[set][layer][level];
  }
  const at::Tensor& scores(int set, int layer, int level) const {
    return scores_[set][layer][level];
  }
  // The two-pass selection's own score buffer of a level: undefined where the
  // level does not run it; unused while recording (the recording buffer serves).
  const at::Tensor& two_pass_scores(int level) const { return choice_scores_[level]; }
  const at::Tensor& choice_buffer(int set) const { return choice_flat_[set]; }
  // The choices of sequence b at `layer` in the CPU reference's form, one
  // LevelChoice list per unit (heads, or groups), scores when they were kept
  // (device_plan.h, device_choices). Synchronises with the device.
  std::vector<std::vector<LevelChoice>> choices(int set, int layer, int64_t sequence,
                                                const GistHierarchy& hierarchy,
                                                bool with_scores) const;
  // Fills every workspace with garbage (NaN, -1; scores: the largest float),
  // so that a kernel reading what no kernel wrote shows up in the results (tests).
  void poison();
  const at::Tensor& score_buffer(int set) const { return score_flat_[set]; }
  const at::Tensor& candidate_count(int level) const { return candidate_count_[level]; }
  const at::Tensor& visible_count() const { return visible_count_; }
  // Error bits raised by the kernels since the last clear (syncs).
  int32_t errors() const;
  void clear_errors();
  int32_t attention_splits(kernels::KeySource source) const;
  // Whether `level` runs the two-pass selection: it has the scores'
  // workspace, made where kernels::two_pass_level will hold.
  bool two_pass(int level) const { return choice_scores_[level].defined(); }
  // Every attend records per-phase device timestamps into `slots`
  // (kernels::kPhaseSlots words of device memory, initialised as
  // kernels/phase_clock.h says); null (the default): no recording.
  void set_phase_clock(unsigned long long* slots) { phase_clock_ = slots; }

 private:
  kernels::SelectionParams selection_params(int layer, const at::Tensor& q,
                                            const DeviceLayerCache& cache, int set,
                                            bool scores) const;

  DeviceDecodeShape shape_;
  DeviceSelectionSettings settings_;
  WorkspacePlan plan_;
  c10::Device device_;
  std::vector<kernels::SequenceStep> host_steps_;
  at::Tensor steps_;                                     // [B * sizeof(SequenceStep)] bytes
  std::vector<at::Tensor> gist_position_, child_begin_;  // [level] [B, cap (+1)] int32
  at::Tensor chunk_begin_;                               // [B, cap0] int32
  at::Tensor row_gists_;                                 // [B, row_capacity] int32
  int64_t row_capacity_ = 0;
  std::vector<at::Tensor> candidates_, candidate_units_, candidate_count_;
  std::vector<int32_t> candidate_capacity_, slices_, chosen_capacity_;
  at::Tensor partial_keys_, partial_count_, partial_valid_, selection_counters_;
  int32_t partial_capacity_ = 0, max_slices_ = 0;
  std::vector<at::Tensor> choice_flat_, score_flat_;  // [set]
  // The two-pass selection's scores when none are recorded: [level] [B, units, candidate cap].
  std::vector<at::Tensor> choice_scores_;
  bool two_pass_ = false;  // the two-pass selection may run (settings, environment, k_max)
  std::vector<std::vector<std::vector<at::Tensor>>> chosen_, chosen_count_,
      scores_;  // [set][layer][level]
  at::Tensor visible_, visible_count_;
  int32_t visible_capacity_ = 0;
  at::Tensor sort_scratch_, scan_scratch_;
  int32_t sort_capacity_ = 0;
  at::Tensor attend_values_, attend_stats_, attend_counters_;
  int32_t max_splits_ = 1;
  at::Tensor errors_;
  unsigned long long* phase_clock_ = nullptr;
};

}  // namespace ssa

#endif  // SSA_WITH_CUDA
