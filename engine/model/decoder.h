// DecoderModel: a Llama / Qwen2-style decoder-only transformer (token
// embedding, RMSNorm, RoPE on given position ids, grouped-query attention
// under an explicit boolean mask, SwiGLU MLP, tied or untied output head).
//
// Weights live in one map under their Hugging Face names
// ("model.layers.0.self_attn.q_proj.weight", ...), so checkpoints load and
// save without renaming and the forward reads them functionally. SSA / H-SSA
// masks come from engine/mask; full attention is the causal mask (or no mask
// at all: then SDPA runs causal without materialising one). RoPE follows the
// config's rope type (rope.h).
//
// Sliding windows (config().sliding_windows: Mistral, Qwen2 with
// use_sliding_window) are applied by forward() / hidden_states() and by
// CausalDecoder (causal_decoding.h), on stream indices as transformers does.
// forward_with() leaves attention to its hook: a hook that may see more keys
// than a layer's window must apply it or refuse the model.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/model_config.h"
#include "engine/model/safetensors.h"

namespace ssa {

enum class AttentionImpl {
  kSdpa,       // LibTorch scaled_dot_product_attention with the boolean mask
  kReference,  // masked_attention_reference: loop over positions (tests only)
};

class DecoderModel {
 public:
  // Random weights as transformers initialises them (normal(0, 0.02) for
  // matrices, zero biases, unit norms), drawn from `seed` on the CPU.
  DecoderModel(ModelConfig config, uint64_t seed);
  // Takes ownership of checked weights (see engine/model/checkpoint.h).
  DecoderModel(ModelConfig config, TensorMap weights);

  // token_ids [B, L] int64, position_ids [B, L] int64 (RoPE positions: the
  // layout's position ids), mask bool [L, L], [B, 1, L, L] or [B, Hq, L, L],
  // True = may attend; an undefined mask means plain causal attention.
  // Returns logits [B, L, vocab_size] in the compute dtype.
  at::Tensor forward(const at::Tensor& token_ids, const at::Tensor& position_ids,
                     const at::Tensor& mask, AttentionImpl impl = AttentionImpl::kSdpa) const;
  // The final normed hidden states [B, L, hidden_size] (before the head).
  at::Tensor hidden_states(const at::Tensor& token_ids, const at::Tensor& position_ids,
                           const at::Tensor& mask, AttentionImpl impl = AttentionImpl::kSdpa) const;

  // Attention supplied by the caller, for decoding with a KV cache: called once
  // per layer with the rotated q [B, Hq, L, D] and k, v [B, Hkv, L, D] of the
  // positions being computed; returns the attention output [B, Hq, L, D].
  using AttentionHook = std::function<at::Tensor(int64_t layer, const at::Tensor& q,
                                                 const at::Tensor& k, const at::Tensor& v)>;
  // As forward(), attention through `attend` (which may keep k, v and see
  // earlier positions it kept); the positions computed are token_ids only.
  at::Tensor forward_with(const at::Tensor& token_ids, const at::Tensor& position_ids,
                          const AttentionHook& attend) const;

  const ModelConfig& config() const { return config_; }
  ModelConfig& mutable_config() { return config_; }
  const TensorMap& weights() const { return weights_; }
  TensorMap& mutable_weights() { return weights_; }
  // Parameters in a fixed (name) order; `decayed` selects matrices (weight
  // decay applies to them, not to norms and biases).
  std::vector<at::Tensor> parameters() const;
  std::vector<at::Tensor> parameters(bool decayed) const;
  int64_t num_parameters() const;

  void to(c10::Device device, at::ScalarType dtype = at::kFloat);
  void set_requires_grad(bool on);
  c10::Device device() const;

  // The tensor names and shapes this config implies, in name order.
  static std::vector<std::pair<std::string, std::vector<int64_t>>> expected_shapes(
      const ModelConfig& config);

 private:
  const at::Tensor& w(const std::string& name) const;
  at::Tensor linear(const at::Tensor& x, const std::string& prefix, bool bias) const;
  at::Tensor attention_block(const at::Tensor& x, int64_t layer, const at::Tensor& cos,
                             const at::Tensor& sin, const AttentionHook& attend) const;
  at::Tensor hidden_states_with(const at::Tensor& token_ids, const at::Tensor& position_ids,
                                const AttentionHook& attend) const;

  ModelConfig config_;
  TensorMap weights_;
};

}  // namespace ssa
