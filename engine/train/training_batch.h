// TrainingBatch: examples laid out as gist streams, padded to one length, with
// their training masks and next-token targets.
//
// A sequence is [BOS] + document (compressed by the GistLayout: gists and
// meta-gists interleaved) followed by the uncompressed suffix prompt + answer
// + EOS, appended to the layout (spec: the suffix). Targets: every position
// predicts the next stream token when that token is not a gist (gists are
// inserted by the layout, never predicted; so the raw token after a gist is
// predicted from the gist's position). Padding is never attended to and has
// no target.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
};

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
// (EOS included), fits in settings.length stream tokens.
int64_t document_budget(const SequenceSettings& settings, int64_t suffix_bytes);

// `full_attention`: the same streams under the plain causal mask (the
// full-attention baseline of the spec).
TrainingBatch make_batch(const std::vector<Example>& examples, const SequenceSettings& settings,
                         bool full_attention = false);

}  // namespace ssa
