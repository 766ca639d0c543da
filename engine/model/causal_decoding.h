// Plain causal decoding with a KV cache: full attention over raw tokens, no
// gists -- what transformers' generate() computes for a causal LM (the
// `full` attention of `ssa-workbench forward`, and the parity oracle for
// real models). Sliding windows of the config apply, on cache indices.
//
// RoPE: every call rotates its new positions with the frequencies of that
// call (rope.h); for dynamic NTK that is the length so far, while the cached
// keys keep the rotation they were computed with, as in transformers.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "engine/model/decoder.h"

namespace ssa {

class CausalDecoder {
 public:
  // The model must outlive the decoder.
  explicit CausalDecoder(const DecoderModel& model);

  // Computes `ids` after everything so far (positions length(), length() + 1,
  // ...) and returns their logits [ids.size(), vocab_size] in the compute dtype.
  at::Tensor extend(const std::vector<int64_t>& ids);
  int64_t length() const { return length_; }

 private:
  const DecoderModel& model_;
  std::vector<at::Tensor> keys_, values_;  // per layer [1, Hkv, length, D], rotated keys
  int64_t length_ = 0;
};

// The greedy continuation of `prompt`: up to `max_tokens` new ids (argmax,
// lowest id on ties, as torch.argmax), ending after the first id in `stop`.
std::vector<int64_t> generate_greedy_causal(const DecoderModel& model,
                                            const std::vector<int64_t>& prompt, int64_t max_tokens,
                                            const std::vector<int64_t>& stop = {});

}  // namespace ssa
