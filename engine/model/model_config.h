// ModelConfig: the decoder's shape, read from and written to a Hugging
// Face-style config.json (hidden_size, num_attention_heads, ...), plus the
// `ssa` block that records the gist layout the model was trained with.
//
// Only Llama / Qwen2-style decoders are accepted (silu MLP, default RoPE);
// anything else is refused with a one-line reason rather than misread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

#include "engine/layout/gist_layout.h"

namespace ssa {

// The `ssa` block of config.json: which gist layout and mask the model expects.
struct SsaConfig {
  bool enabled = false;     // false: a plain causal model (no block in the file)
  LayoutSettings layout;    // chunk, group sizes, sink, gist_token_base, ...
  int previous_chunks = 1;  // p of the spec's rule 2 (num_previous_chunks)
  // First layers that never select when decoding (spec, Inference 8): the
  // reference's 1 when absent; 0 for models trained with every layer selecting.
  int dense_layers = 1;
};

struct ModelConfig {
  std::string model_type = "llama";  // "llama" or "qwen2"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // 0 in the file: hidden_size / num_attention_heads
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  int64_t max_position_embeddings = 4096;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v (and o for Llama) biases
  bool qkv_bias = false;        // Qwen2: q/k/v biases, never o
  bool mlp_bias = false;
  int64_t bos_token_id = -1, eos_token_id = -1, pad_token_id = -1;
  std::string torch_dtype = "float32";  // dtype the weights are stored in
  SsaConfig ssa;

  int64_t kv_groups() const { return num_attention_heads / num_key_value_heads; }
  // Throws std::invalid_argument naming the first unusable value.
  void validate() const;
};

// Parses config.json text; `source` names the file in error messages.
// Throws std::runtime_error("<source>: <what is wrong>").
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::string& path);
// The Hugging Face keys (and the ssa block when enabled), pretty-printed.
std::string model_config_to_json(const ModelConfig& config);
void save_model_config(const ModelConfig& config, const std::string& path);

// The `ssa` block alone (also used by training configs).
SsaConfig parse_ssa_config(const nlohmann::json& block, const std::string& source);
nlohmann::json ssa_config_to_json(const SsaConfig& ssa);

}  // namespace ssa
