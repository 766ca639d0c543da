// Checkpoints: a directory as save_pretrained writes it -- config.json (Hugging
// Face keys, optionally our `ssa` block) and the weights in model.safetensors,
// or in shards named by model.safetensors.index.json; stored as F32, BF16 or
// F16 -- plus, when present, generation_config.json, tokenizer_config.json and
// tokenizer.json for the special token ids (special_tokens.h).
//
// Loading checks everything it can before reading any weight: the config, the
// index and every shard's header (names, shapes, dtypes, offsets), the token
// ids against the vocabulary. The weights are then mapped and moved to the
// device one tensor (one 64 MB slice) at a time, so loading N bytes of weights
// peaks near N bytes of host memory (nothing for a GPU), and each is checked
// for NaN / Inf on the way. Every fault is a one-line CheckpointError naming
// the file (and tensor, shard or key) and what was expected.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/model/decoder.h"
#include "engine/model/special_tokens.h"

namespace ssa {

struct LoadOptions {
  c10::Device device = c10::kCPU;
  at::ScalarType dtype = at::kFloat;  // compute dtype: fp32 on the CPU for parity, bf16 on a GPU
  bool check_finite = true;           // refuse NaN / Inf weights
};

// What load_checkpoint found besides the model.
struct CheckpointInfo {
  std::vector<std::string> weight_files;  // model.safetensors, or the shards in index order
  uint64_t file_bytes = 0;                // sum of the weight files' sizes
  uint64_t weight_bytes = 0;              // bytes of the loaded weights (compute dtype)
  std::string stored_dtype;               // "float32", "bfloat16", "float16" (or "mixed")
  TokenizerVocabulary vocabulary;         // tokenizer.json's ids (present = false if absent)
  SpecialTokens tokens;                   // also written into the model's config
};

DecoderModel load_checkpoint(const std::string& dir, const LoadOptions& options,
                             CheckpointInfo* info = nullptr);
// Reads <dir>/config.json and the weights; converted to `dtype` on `device`.
DecoderModel load_checkpoint(const std::string& dir, c10::Device device = c10::kCPU,
                             at::ScalarType dtype = at::kFloat);

// Writes config.json and the weights into `dir` (created if missing), stored
// as `dtype` (float32, bfloat16 or float16): one model.safetensors, or with
// shards > 1 that many files model-0000k-of-0000n.safetensors of about equal
// size and model.safetensors.index.json, as save_pretrained names them.
void save_checkpoint(const DecoderModel& model, const std::string& dir,
                     at::ScalarType dtype = at::kFloat, int shards = 1);

// The same for weights that are never all in memory: `produce(name, shape)`
// returns each tensor of DecoderModel::expected_shapes(config) when it is
// written (any dtype; stored as `dtype`).
using TensorProducer =
    std::function<at::Tensor(const std::string& name, const std::vector<int64_t>& shape)>;
void write_checkpoint(const ModelConfig& config, const std::string& dir, at::ScalarType dtype,
                      int shards, const TensorProducer& produce);

// Grows the vocabulary to `new_vocab_size` rows (gist and meta-gist ids): the
// new embedding and output rows start as the mean of the existing rows, as the
// reference does when it adds special tokens. Shrinking is refused.
void resize_vocabulary(DecoderModel& model, int64_t new_vocab_size);

}  // namespace ssa
