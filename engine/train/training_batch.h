// TrainingBatch: examples laid out as gist streams, padded to one length, with
// their training masks and next-token targets.
//
// A sequence is [BOS] + document (compressed by the GistLayout: gists and
// meta-gists interleaved) followed by the uncompressed suffix prompt + answer
// + EOS, appended to the layout (spec: the suffix). Targets: every position
// predicts the next stream token when that token is not a gist (gists are
// inserted by the layout, never predicted; so the raw token after a gist is
// predicted from the gist's position). Padding is never attended to and has
// no target. Text becomes ids through the model's tokenizer with its BOS,
// EOS and PAD (SequenceSettings::text: engine/data/model_text.h), the byte
// tokenizer unless said otherwise.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/data/data_mix.h"
#include "engine/data/model_text.h"
#include "engine/data/tasks.h"
#include "engine/layout/gist_layout.h"
#include "engine/model/model_config.h"

namespace ssa {

struct SequenceSettings {
  int64_t length = 256;        // stream tokens per sequence, padding included
  SsaConfig ssa;               // ssa.enabled == false: no gists, plain causal mask
  double answer_weight = 1.0;  // loss weight of answer tokens relative to the rest
  // Loss weight of an answer's first token (the one retrieved without any of
  // the answer to go on); 0: answer_weight.
  double answer_first_weight = 0;
  // The model's tokenizer and special ids; null: the byte tokenizer (gist ids
  // from ssa.layout.gist_token_base).
  std::shared_ptr<const ModelText> text;
};

// The text of `settings`: its own, or the byte tokenizer's.
std::shared_ptr<const ModelText> sequence_text(const SequenceSettings& settings);

// Where an example's answer is predicted: target positions [begin, end) of
// batch row `row`, and the level-0 chunk of the document that holds it.
struct AnswerSpan {
  int64_t row = 0;
  int64_t begin = 0, end = 0;
  int64_t answer_chunk = -1;
  std::string kind;
};

struct TrainingBatch {
  at::Tensor token_ids;     // [B, L] int64
  at::Tensor position_ids;  // [B, L] int64: the layouts' RoPE positions (spec: position ids)
  at::Tensor mask;          // [B, 1, L, L] bool: the training mask, or causal
  at::Tensor labels;        // [B, L] int64, -100 where there is no target
  at::Tensor loss_weights;  // [B, L] float, 0 where there is no target
  std::vector<AnswerSpan> answers;
  int64_t real_tokens = 0;  // non-padding stream tokens
  // Each row's layout (SSA only): prefix / suffix and gists for selective training.
  std::vector<std::shared_ptr<const GistLayout>> layouts;
};

// The largest document (bytes) whose sequence, with a suffix of `suffix_bytes`
// (EOS included), fits in settings.length stream tokens (the byte tokenizer).
int64_t document_budget(const SequenceSettings& settings, int64_t suffix_bytes);

// Stream tokens of an example's sequence ([BOS] + laid-out document + suffix
// + EOS); the example tokenized with the settings' text.
int64_t sequence_length(const SequenceSettings& settings, const Example& example);
// The example's document laid out as its sequence begins (for views).
GistLayout example_layout(const SequenceSettings& settings, const Example& example);

// Examples drawn from a mix, sized to fill sequences of `settings`: with the
// byte tokenizer a document's bytes are computed (document_budget, once per
// suffix length), with a model's tokenizer they are found by trying sizes
// (fit_example). Every example comes back tokenized. Thread-safe.
class ExampleSizer {
 public:
  ExampleSizer(const DataMix& mix, const SequenceSettings& settings);
  Example sample(Split split, uint64_t step, uint64_t index) const;
  // `count` examples index first.. of one step, drawn in parallel.
  std::vector<Example> sample_many(Split split, uint64_t step, uint64_t first, int64_t count) const;
  // An example of one named source; document_tokens > 0: a document of that
  // many tokens (bytes for the byte tokenizer) instead of a full sequence.
  Example sample_source(const std::string& source, Split split, uint64_t step, uint64_t index,
                        int64_t document_tokens = 0) const;

 private:
  int64_t bytes_for(int64_t suffix_bytes) const;
  const DataMix& mix_;
  SequenceSettings settings_;
  std::shared_ptr<const ModelText> text_;
  mutable std::mutex mutex_;
  mutable std::map<int64_t, int64_t> budgets_;  // byte tokenizer: suffix bytes -> document bytes
};

// `full_attention`: the same streams under the plain causal mask (the
// full-attention baseline of the spec). Examples not tokenized yet are
// tokenized here.
TrainingBatch make_batch(const std::vector<Example>& examples, const SequenceSettings& settings,
                         bool full_attention = false);

}  // namespace ssa
