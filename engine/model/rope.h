// RoPE frequencies, computed exactly as transformers computes them for Llama,
// Qwen2 and Mistral (modeling_rope_utils.py): the rope types "default",
// "linear", "dynamic" (dynamic NTK), "llama3" and "yarn", read from either the
// 4.x form (top-level rope_theta + "rope_scaling") or the 5.x form
// ("rope_parameters"). Any other type is refused, named, in one line.
//
// Numerics follow transformers operation for operation: scalar arithmetic in
// double (Python floats), tensor arithmetic in float32, in the same order, so
// that cos/sin tables agree bit for bit on the CPU.
//
// Dynamic NTK depends on the sequence length. Like transformers, the length of
// a call is max(position_ids) + 1 over the whole call (every row of a batch
// shares it); up to max_position_embeddings the frequencies are the unscaled
// ones. During incremental decoding each call (each new token) is rotated with
// the frequencies of its own length while cached keys keep the rotation they
// were computed with -- what transformers' generate() does with its KV cache.
// (transformers also keeps a longer cached length when a later call is
// shorter but still beyond max_position_embeddings; that only matters when
// positions go backwards, which decoding never does. We are stateless.)
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ssa {

enum class RopeType { kDefault, kLinear, kDynamic, kLlama3, kYarn };
const char* rope_type_name(RopeType type);

// The scaling part of RoPE (rope_theta itself is ModelConfig::rope_theta).
struct RopeScaling {
  RopeType type = RopeType::kDefault;
  double factor = 1.0;                                   // linear, dynamic, llama3, yarn
  int64_t original_max_position_embeddings = 0;          // llama3, yarn
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  // yarn (unset = transformers' defaults: attention factor from factor/mscale,
  // beta_fast 32, beta_slow 1, truncate true)
  std::optional<double> attention_factor, mscale, mscale_all_dim;
  double beta_fast = 32.0, beta_slow = 1.0;
  bool truncate = true;

  // The post-processing scale on cos and sin (yarn's attention factor; 1 else).
  double attention_scaling() const;
};

// The 5.x "rope_parameters" object of config.json.
nlohmann::json rope_parameters_json(double theta, const RopeScaling& scaling);

struct ParsedRope {
  double theta = 10000.0;
  RopeScaling scaling;
};
// Reads RoPE from a config.json object. `max_position_embeddings` is the
// config's; llama3 and yarn fall back to it for original_max_position_embeddings
// (a top-level original_max_position_embeddings wins, as in transformers).
// Throws std::runtime_error("<source>: ...") naming the type or key at fault.
ParsedRope parse_rope(const nlohmann::json& config, int64_t max_position_embeddings,
                      const std::string& source);

// Inverse frequencies [head_dim / 2], float32 on `device`, for a call whose
// longest position is `max_position` (only dynamic NTK depends on it).
at::Tensor rope_inv_freq(double theta, const RopeScaling& scaling, int64_t head_dim,
                         int64_t max_position_embeddings, int64_t max_position, c10::Device device);

// cos and sin tables [B, 1, L, head_dim] in float32 for position_ids [B, L]
// (scaled by attention_scaling()), as LlamaRotaryEmbedding.forward returns them.
struct RopeTables {
  at::Tensor cos, sin;
};
RopeTables rope_tables(double theta, const RopeScaling& scaling, int64_t head_dim,
                       int64_t max_position_embeddings, const at::Tensor& position_ids);

}  // namespace ssa
