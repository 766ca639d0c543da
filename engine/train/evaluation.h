// Held-out evaluation of a model under training: language-model loss on
// held-out batches of the training mix, and exact-match answer accuracy on
// the generated tasks, teacher-forced, under the SSA training mask (answers
// must come through gists) and under full causal attention over the same
// stream (the baseline). Decoding with selection comes with the decode work.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/data/data_mix.h"
#include "engine/model/decoder.h"
#include "engine/train/training_batch.h"

namespace ssa {

struct EvalSettings {
  int64_t batches = 4;  // held-out batches for the loss
  int64_t batch_size = 8;
  int64_t task_examples = 32;  // per task, for accuracy
  bool bf16_autocast = false;
};

struct EvalResult {
  int64_t step = 0;
  double loss = 0;                                   // mean next-token loss, held out
  std::map<std::string, double> accuracy_ssa;        // task -> exact match, training mask
  std::map<std::string, double> accuracy_full;       // task -> exact match, causal mask
  std::map<std::string, double> token_accuracy_ssa;  // task -> answer tokens right
  std::map<std::string, double> token_accuracy_full;
  std::string summary() const;
  std::string to_json() const;
};

EvalResult evaluate(const DecoderModel& model, const DataMix& mix, const SequenceSettings& seq,
                    const EvalSettings& settings, int64_t step);

// Mean (weighted) next-token cross-entropy of a batch, on the model's device.
// Runs the forward under bf16 autocast when asked (CUDA); with `attend`, the
// attention goes through that hook (selective training) instead of batch.mask.
// `total_weight` > 0 divides the weighted sum by it instead of the batch's own
// weight (gradient accumulation over several batches).
at::Tensor batch_loss(const DecoderModel& model, const TrainingBatch& batch, bool bf16_autocast,
                      bool weighted = true, const DecoderModel::AttentionHook* attend = nullptr,
                      double total_weight = 0);

}  // namespace ssa
