// ModelConfig: the decoder's shape, read from and written to a Hugging
// Face-style config.json (hidden_size, num_attention_heads, ...), plus the
// `ssa` block that records the gist layout the model was trained with.
//
// Llama, Qwen2 and Mistral decoders are accepted (LlamaForCausalLM,
// Qwen2ForCausalLM, MistralForCausalLM: silu MLP, RoPE of rope.h, sliding
// windows where the config sets them); anything else is refused with a
// one-line reason (a CheckpointError) rather than misread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/layout/gist_layout.h"
#include "engine/model/rope.h"

namespace ssa {

// The `ssa` block of config.json: which gist layout and mask the model expects.
struct SsaConfig {
  // false: no `ssa` block in the file (a plain causal model, or a reference
  // checkpoint whose layout is in its name: the caller must supply it).
  bool enabled = false;
  LayoutSettings layout;    // chunk, group sizes, sink, gist_token_base, ...
  int previous_chunks = 1;  // p of the spec's rule 2 (num_previous_chunks)
  // First layers that never select when decoding (spec, Inference 8): the
  // reference's 1 when absent; 0 for models trained with every layer selecting.
  int dense_layers = 1;
};

struct ModelConfig {
  std::string model_type = "llama";  // "llama", "qwen2" or "mistral"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // 0 in the file: hidden_size / num_attention_heads
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;  // rope type and its parameters (default: none)
  double rms_norm_eps = 1e-6;
  int64_t max_position_embeddings = 4096;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v (and o for Llama) biases
  bool qkv_bias = false;        // Qwen2: q/k/v biases, never o
  bool mlp_bias = false;
  // Sliding-window attention, per layer (0: full causal): Mistral's
  // sliding_window on every layer, Qwen2's use_sliding_window on the layers
  // its layer_types / max_window_layers name. Empty: no window anywhere.
  std::vector<int64_t> sliding_windows;
  int64_t bos_token_id = -1, eos_token_id = -1, pad_token_id = -1;
  // Every id that ends generation (generation_config.json's eos_token_id, one
  // or several, else config.json's); eos_token_id is the tokenizer's eos.
  std::vector<int64_t> eos_token_ids;
  std::string torch_dtype = "float32";  // dtype the weights are stored in
  SsaConfig ssa;

  int64_t kv_groups() const { return num_attention_heads / num_key_value_heads; }
  // "LlamaForCausalLM", "Qwen2ForCausalLM" or "MistralForCausalLM".
  std::string architecture() const;
  // False for reference checkpoints: their layout must come from elsewhere.
  bool has_ssa_block() const { return ssa.enabled; }
  // The window of `layer` (0: none).
  int64_t sliding_window(int64_t layer) const;
  bool has_sliding_window() const;
  // Throws std::invalid_argument naming the first unusable value.
  void validate() const;
};

// Parses config.json text; `source` names the file in error messages.
// Throws CheckpointError("<source>: <what is wrong>").
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::string& path);
// The Hugging Face keys (and the ssa block when enabled), pretty-printed.
std::string model_config_to_json(const ModelConfig& config);
void save_model_config(const ModelConfig& config, const std::string& path);

// The token id or list of ids under `key` (absent, null or negative: none).
std::vector<int64_t> token_ids(const nlohmann::json& j, const char* key, const std::string& source);

// The `ssa` block alone (also used by training configs). Unknown keys are errors.
SsaConfig parse_ssa_config(const nlohmann::json& block, const std::string& source);
nlohmann::json ssa_config_to_json(const SsaConfig& ssa);

}  // namespace ssa
