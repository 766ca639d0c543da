// Held-out evaluation of a model under training: language-model loss on
// held-out batches of the training mix; exact-match answer accuracy on the
// generated tasks, teacher-forced, under the SSA training mask (answers must
// come through gists) and under full causal attention over the same stream
// (the baseline); and retrieval under SSA decoding: the answer generated
// greedily with selective attention (engine/decode), as `ssa-workbench record`
// does, with the share of answer steps that unfolded the answer's chunk.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/data/data_mix.h"
#include "engine/decode/decode_session.h"
#include "engine/model/decoder.h"
#include "engine/train/training_batch.h"

namespace ssa {

struct DecodeEvalSettings {
  int64_t examples = 0;  // per task; 0 = no decoding evaluation
  int k = 4;             // chunks chosen per level (quarter cap on, GQA mode head)
  // Document size: bytes for the byte tokenizer, tokens for a model's
  // tokenizer; 0: the training sequence's document size.
  int64_t document_bytes = 0;
  std::vector<std::string> tasks;  // empty: every task of the mix
};

struct EvalSettings {
  int64_t batches = 4;  // held-out batches for the loss
  int64_t batch_size = 8;
  int64_t task_examples = 32;  // per task, for accuracy
  bool bf16_autocast = false;
  DecodeEvalSettings decode;
};

// One task example decoded as `ssa-workbench record` decodes it: [BOS] +
// document laid out with gists, the prompt as the uncompressed suffix, then
// as many tokens as the answer has generated greedily under SSA selection.
struct DecodedAnswer {
  std::string generated;
  bool exact = false;          // the generated text is the answer (ends trimmed)
  int64_t right_tokens = 0;    // answer tokens generated right, position by position
  int64_t answer_steps = 0;    // generation steps (the answer's tokens, or fewer at EOS)
  int64_t unfolded_steps = 0;  // steps at which some layer or head unfolded the answer chunk
};
// `text`: the model's tokenizer and ids (the example is tokenized with it
// unless it is already); without it, the byte tokenizer.
DecodedAnswer decode_answer(const DecoderModel& model, const ModelText& text,
                            const Example& example, const DecodeSettings& settings);
DecodedAnswer decode_answer(const DecoderModel& model, const Example& example,
                            const DecodeSettings& settings);

struct EvalResult {
  int64_t step = 0;
  double loss = 0;                                   // mean next-token loss, held out
  std::map<std::string, double> accuracy_ssa;        // task -> exact match, training mask
  std::map<std::string, double> accuracy_full;       // task -> exact match, causal mask
  std::map<std::string, double> token_accuracy_ssa;  // task -> answer tokens right
  std::map<std::string, double> token_accuracy_full;
  std::map<std::string, double> accuracy_decode;        // task -> exact match, SSA decoding
  std::map<std::string, double> token_accuracy_decode;  // answer bytes right, SSA decoding
  std::map<std::string, double> unfolded_decode;  // answer steps that unfolded the answer chunk
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
