// The decoder's forward pass, written to match transformers' Llama / Qwen2
// modelling code operation for operation (fp32 RMSNorm, rotate-half RoPE with
// fp32 frequencies), so that logits agree to float rounding.
#include "engine/model/decoder.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

#include "engine/model/masked_attention.h"
#include "engine/model/message.h"
#include "engine/model/rope.h"

namespace ssa {
namespace {

std::string layer_name(int64_t layer, const char* rest) {
  return message("model.layers.", layer, ".", rest);
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor h = x.to(at::kFloat);
  h = h * at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(x.scalar_type());
}

at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> DecoderModel::expected_shapes(
    const ModelConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  const int64_t H = c.hidden_size, D = c.head_dim, I = c.intermediate_size;
  const int64_t q = c.num_attention_heads * D, kv = c.num_key_value_heads * D;
  shapes.push_back({"model.embed_tokens.weight", {c.vocab_size, H}});
  shapes.push_back({"model.norm.weight", {H}});
  if (!c.tie_word_embeddings) shapes.push_back({"lm_head.weight", {c.vocab_size, H}});
  const bool qkv_bias = c.qkv_bias || c.attention_bias;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    shapes.push_back({layer_name(l, "input_layernorm.weight"), {H}});
    shapes.push_back({layer_name(l, "post_attention_layernorm.weight"), {H}});
    shapes.push_back({layer_name(l, "self_attn.q_proj.weight"), {q, H}});
    shapes.push_back({layer_name(l, "self_attn.k_proj.weight"), {kv, H}});
    shapes.push_back({layer_name(l, "self_attn.v_proj.weight"), {kv, H}});
    shapes.push_back({layer_name(l, "self_attn.o_proj.weight"), {H, q}});
    if (qkv_bias) {
      shapes.push_back({layer_name(l, "self_attn.q_proj.bias"), {q}});
      shapes.push_back({layer_name(l, "self_attn.k_proj.bias"), {kv}});
      shapes.push_back({layer_name(l, "self_attn.v_proj.bias"), {kv}});
    }
    if (c.attention_bias) shapes.push_back({layer_name(l, "self_attn.o_proj.bias"), {H}});
    shapes.push_back({layer_name(l, "mlp.gate_proj.weight"), {I, H}});
    shapes.push_back({layer_name(l, "mlp.up_proj.weight"), {I, H}});
    shapes.push_back({layer_name(l, "mlp.down_proj.weight"), {H, I}});
    if (c.mlp_bias) {
      shapes.push_back({layer_name(l, "mlp.gate_proj.bias"), {I}});
      shapes.push_back({layer_name(l, "mlp.up_proj.bias"), {I}});
      shapes.push_back({layer_name(l, "mlp.down_proj.bias"), {H}});
    }
  }
  std::sort(shapes.begin(), shapes.end());
  return shapes;
}

DecoderModel::DecoderModel(ModelConfig config, uint64_t seed) : config_(std::move(config)) {
  config_.validate();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& [name, shape] : expected_shapes(config_)) {
    const bool is_vector = shape.size() == 1;
    const bool is_norm = name.find("norm.weight") != std::string::npos;
    at::Tensor t = is_norm     ? at::ones(shape)
                   : is_vector ? at::zeros(shape)
                               : at::normal(0.0, 0.02, shape, gen);
    weights_.emplace(name, t);
  }
}

DecoderModel::DecoderModel(ModelConfig config, TensorMap weights)
    : config_(std::move(config)), weights_(std::move(weights)) {
  config_.validate();
  for (const auto& [name, shape] : expected_shapes(config_)) {
    auto it = weights_.find(name);
    if (it == weights_.end() || it->second.sizes().vec() != shape)
      throw std::invalid_argument(
          message("DecoderModel: weight \"", name,
                  "\" missing or misshaped; load through load_checkpoint()"));
  }
}

const at::Tensor& DecoderModel::w(const std::string& name) const {
  auto it = weights_.find(name);
  if (it == weights_.end()) throw std::logic_error("DecoderModel: no weight " + name);
  return it->second;
}

at::Tensor DecoderModel::linear(const at::Tensor& x, const std::string& prefix, bool bias) const {
  return at::linear(x, w(prefix + ".weight"),
                    bias ? c10::optional<at::Tensor>(w(prefix + ".bias")) : c10::nullopt);
}

at::Tensor DecoderModel::attention_block(const at::Tensor& x, int64_t l, const at::Tensor& cos,
                                         const at::Tensor& sin, const AttentionHook& attend) const {
  const int64_t B = x.size(0), L = x.size(1), D = config_.head_dim;
  const bool qkv_bias = config_.qkv_bias || config_.attention_bias;
  auto heads = [&](const at::Tensor& t, int64_t n) {  // [B, L, n*D] -> [B, n, L, D]
    return t.view({B, L, n, D}).transpose(1, 2);
  };
  at::Tensor q =
      heads(linear(x, layer_name(l, "self_attn.q_proj"), qkv_bias), config_.num_attention_heads);
  at::Tensor k =
      heads(linear(x, layer_name(l, "self_attn.k_proj"), qkv_bias), config_.num_key_value_heads);
  at::Tensor v =
      heads(linear(x, layer_name(l, "self_attn.v_proj"), qkv_bias), config_.num_key_value_heads);
  const at::Tensor c = cos.to(q.scalar_type()), s = sin.to(q.scalar_type());
  q = q * c + rotate_half(q) * s;
  k = k * c + rotate_half(k) * s;
  at::Tensor o = attend(l, q, k, v);
  o = o.transpose(1, 2).reshape({B, L, config_.num_attention_heads * D});
  return linear(o, layer_name(l, "self_attn.o_proj"), config_.attention_bias);
}

at::Tensor DecoderModel::hidden_states(const at::Tensor& token_ids, const at::Tensor& position_ids,
                                       const at::Tensor& mask, AttentionImpl impl) const {
  const at::Tensor m = mask.defined() ? mask.to(device()) : at::Tensor();
  const int64_t length = token_ids.size(-1);
  return hidden_states_with(
      token_ids, position_ids,
      [&](int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
        const int64_t window = config_.sliding_window(layer);
        if (!m.defined() && window == 0 && impl == AttentionImpl::kSdpa)
          return causal_attention(q, k, v);
        // Mistral / Qwen2 sliding windows, on stream indices as transformers
        // applies them (key > query - window), on top of the given mask.
        at::Tensor layer_mask = m.defined() ? m : causal_mask(length, q.device());
        if (window > 0) layer_mask = layer_mask & sliding_window_mask(length, window, q.device());
        return impl == AttentionImpl::kSdpa ? masked_attention(q, k, v, layer_mask)
                                            : masked_attention_reference(q, k, v, layer_mask);
      });
}

at::Tensor DecoderModel::forward_with(const at::Tensor& token_ids, const at::Tensor& position_ids,
                                      const AttentionHook& attend) const {
  at::Tensor h = hidden_states_with(token_ids, position_ids, attend);
  const char* head = config_.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  return at::linear(h, w(head));
}

at::Tensor DecoderModel::hidden_states_with(const at::Tensor& token_ids,
                                            const at::Tensor& position_ids,
                                            const AttentionHook& attend) const {
  if (token_ids.dim() != 2 || position_ids.sizes() != token_ids.sizes())
    throw std::invalid_argument("forward: token_ids and position_ids must both be [B, L]");
  const c10::Device dev = device();
  at::Tensor ids = token_ids.to(dev, at::kLong);
  at::Tensor h = at::embedding(w("model.embed_tokens.weight"), ids);

  // RoPE tables in fp32, as transformers computes them (autocast off there).
  const RopeTables rope = rope_tables(config_.rope_theta, config_.rope_scaling, config_.head_dim,
                                      config_.max_position_embeddings, position_ids.to(dev));
  const at::Tensor &cos = rope.cos, &sin = rope.sin;

  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    at::Tensor a = rms_norm(h, w(layer_name(l, "input_layernorm.weight")), config_.rms_norm_eps);
    h = h + attention_block(a, l, cos, sin, attend);
    at::Tensor x =
        rms_norm(h, w(layer_name(l, "post_attention_layernorm.weight")), config_.rms_norm_eps);
    const std::string mlp = layer_name(l, "mlp");
    at::Tensor gate = linear(x, mlp + ".gate_proj", config_.mlp_bias);
    at::Tensor up = linear(x, mlp + ".up_proj", config_.mlp_bias);
    h = h + linear(at::silu(gate) * up, mlp + ".down_proj", config_.mlp_bias);
  }
  return rms_norm(h, w("model.norm.weight"), config_.rms_norm_eps);
}

at::Tensor DecoderModel::forward(const at::Tensor& token_ids, const at::Tensor& position_ids,
                                 const at::Tensor& mask, AttentionImpl impl) const {
  at::Tensor h = hidden_states(token_ids, position_ids, mask, impl);
  const char* head = config_.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  return at::linear(h, w(head));
}

std::vector<at::Tensor> DecoderModel::parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& [name, t] : weights_) out.push_back(t);
  return out;
}

std::vector<at::Tensor> DecoderModel::parameters(bool decayed) const {
  std::vector<at::Tensor> out;
  for (const auto& [name, t] : weights_)
    if ((t.dim() >= 2) == decayed) out.push_back(t);
  return out;
}

int64_t DecoderModel::num_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : weights_) n += t.numel();
  return n;
}

void DecoderModel::to(c10::Device device, at::ScalarType dtype) {
  for (auto& [name, t] : weights_) {
    const bool grad = t.requires_grad();
    t = t.detach().to(device, dtype).set_requires_grad(grad);
  }
}

void DecoderModel::set_requires_grad(bool on) {
  for (auto& [name, t] : weights_) t.set_requires_grad(on);
}

c10::Device DecoderModel::device() const {
  return w("model.embed_tokens.weight").device();
}

}  // namespace ssa
