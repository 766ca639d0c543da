// Checkpoints: a directory with config.json (Hugging Face keys + `ssa` block)
// and model.safetensors (Hugging Face tensor names), as save_pretrained writes.
//
// Loading checks every tensor against the config: a missing, unexpected,
// misshaped or non-floating tensor is a std::runtime_error naming the file,
// the tensor and what was expected.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>

#include "engine/model/decoder.h"

namespace ssa {

// Reads <dir>/config.json and <dir>/model.safetensors; weights are converted
// to `dtype` and moved to `device`.
DecoderModel load_checkpoint(const std::string& dir, c10::Device device = c10::kCPU,
                             at::ScalarType dtype = at::kFloat);

// Checks `tensors` (read from `source`) against `config` and returns them in
// float32 on the CPU. A tied model's "lm_head.weight", if present, is dropped.
TensorMap check_weights(const ModelConfig& config, TensorMap tensors, const std::string& source);

// Writes config.json and model.safetensors into `dir` (created if missing),
// weights stored as `dtype` (float32 or bfloat16).
void save_checkpoint(const DecoderModel& model, const std::string& dir,
                     at::ScalarType dtype = at::kFloat);

// Grows the vocabulary to `new_vocab_size` rows (gist and meta-gist ids): the
// new embedding and output rows start as the mean of the existing rows, as the
// reference does when it adds special tokens. Shrinking is refused.
void resize_vocabulary(DecoderModel& model, int64_t new_vocab_size);

}  // namespace ssa
