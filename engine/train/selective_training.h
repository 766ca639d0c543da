// Selective training (ssa-spec.md, "Selective training"; the reference's
// --selective): the suffix of each training sequence (its uncompressed
// completion) attends with SSA selection instead of its training-mask row.
// Per layer and query head, the suffix query scores the prefix's gists with
// the layer's rotated q . k, chooses top-k level by level and unfolds
// (engine/decode/chunk_selector.h, visible_set.h); prefix positions keep the
// training mask. The choice is not differentiated: gradients flow through the
// attention over the visible keys only.
#pragma once

#include <memory>
#include <vector>

#include "engine/decode/chunk_selector.h"
#include "engine/decode/selective_attention.h"
#include "engine/mask/mask_rule.h"
#include "engine/model/decoder.h"
#include "engine/train/training_batch.h"

namespace ssa {

struct SelectiveTraining {
  bool enabled = false;
  SelectionSettings selection;    // k, quarter cap, top_p
  GqaMode mode = GqaMode::kHead;  // kHead: a KV group attends to its heads' union
  // Layers [0, dense_layers) attend with the training mask (the ssa block's
  // dense_layers: 1 as the reference, 0 for models trained with every layer
  // selecting, as ssa-small).
  int dense_layers = 1;
  // One-level SSA without top_p: choose and build the rows with tensor ops on
  // the model's device (top-k, scatter, gather) instead of the per-query loop
  // of select_chunks / visible_keys. Same choices (ties aside: the loop gives
  // them to the lower index, top-k to either); tests compare the two.
  bool vectorized = true;
};

// The per-layer attention for DecoderModel::forward_with over `batch` (made
// with SSA layouts). The batch must outlive the hook.
DecoderModel::AttentionHook selective_training_hook(const TrainingBatch& batch, MaskSettings mask,
                                                    const SelectiveTraining& settings);

}  // namespace ssa
