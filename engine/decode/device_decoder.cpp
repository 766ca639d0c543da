#include "engine/decode/device_decoder.h"

#if defined(SSA_WITH_CUDA)

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "engine/decode/device_step_ops.h"
#include "engine/decode/projection_packing.h"
#include "kernels/cuda_check.h"

namespace ssa {
namespace {

std::string layer_name(int64_t layer, const char* rest) {
  return "model.layers." + std::to_string(layer) + "." + rest;
}

// As decoder.cpp: RMSNorm in fp32, the weight applied in the input's dtype.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor h = x.to(at::kFloat);
  h = h * at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(x.scalar_type());
}

at::Tensor rotate(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  return x * cos + at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1) * sin;
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
}

// The fused kernels take bf16 only; another dtype keeps the op-for-op path.
template <typename Layers>
bool all_bf16(const Layers& layers, std::initializer_list<at::Tensor> rest) {
  for (const at::Tensor& t : rest)
    if (t.scalar_type() != at::kBFloat16) return false;
  for (const auto& lw : layers)
    for (const at::Tensor* t :
         {&lw.input_norm, &lw.post_norm, &lw.q, &lw.k, &lw.v, &lw.o, &lw.gate, &lw.up, &lw.down})
      if (t->scalar_type() != at::kBFloat16) return false;
  return true;
}

}  // namespace

DeviceDecoder::DeviceDecoder(const DecoderModel& model, DeviceDecodeShape shape,
                             DeviceDecoderSettings settings, std::vector<DeviceLayerCache> caches)
    : model_(model),
      settings_(settings),
      caches_(std::move(caches)),
      stream_(c10::cuda::getStreamFromPool(false, model.device().index())) {
  const ModelConfig& c = model.config();
  if (!model.device().is_cuda())
    throw std::invalid_argument("GPU decode: the model is not on CUDA");
  if (shape.heads != c.num_attention_heads || shape.kv_heads != c.num_key_value_heads ||
      shape.head_dim != c.head_dim)
    throw std::invalid_argument("GPU decode: the shape does not match the model");
  settings_.selection.layers = static_cast<int>(c.num_hidden_layers);
  attention_ =
      std::make_unique<DeviceAttention>(std::move(shape), settings_.selection, model.device());
  const auto& w = model.weights();
  auto get = [&](const std::string& name) {
    const auto it = w.find(name);
    return it == w.end() ? at::Tensor() : it->second;
  };
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    LayerWeights lw;
    lw.input_norm = get(layer_name(l, "input_layernorm.weight"));
    lw.post_norm = get(layer_name(l, "post_attention_layernorm.weight"));
    lw.q = get(layer_name(l, "self_attn.q_proj.weight"));
    lw.k = get(layer_name(l, "self_attn.k_proj.weight"));
    lw.v = get(layer_name(l, "self_attn.v_proj.weight"));
    lw.o = get(layer_name(l, "self_attn.o_proj.weight"));
    if (c.qkv_bias || c.attention_bias) {
      lw.q_bias = get(layer_name(l, "self_attn.q_proj.bias"));
      lw.k_bias = get(layer_name(l, "self_attn.k_proj.bias"));
      lw.v_bias = get(layer_name(l, "self_attn.v_proj.bias"));
    }
    if (c.attention_bias) lw.o_bias = get(layer_name(l, "self_attn.o_proj.bias"));
    lw.gate = get(layer_name(l, "mlp.gate_proj.weight"));
    lw.up = get(layer_name(l, "mlp.up_proj.weight"));
    lw.down = get(layer_name(l, "mlp.down_proj.weight"));
    if (c.mlp_bias) {
      lw.gate_bias = get(layer_name(l, "mlp.gate_proj.bias"));
      lw.up_bias = get(layer_name(l, "mlp.up_proj.bias"));
      lw.down_bias = get(layer_name(l, "mlp.down_proj.bias"));
    }
    layers_.push_back(lw);
  }
  if (caches_.empty()) {
    for (int64_t l = 0; l < c.num_hidden_layers; ++l) caches_.push_back(attention_->make_cache());
  }
  if (static_cast<int64_t>(caches_.size()) != c.num_hidden_layers)
    throw std::invalid_argument("GPU decode: one cache per layer");
  embed_ = get("model.embed_tokens.weight");
  final_norm_ = get("model.norm.weight");
  head_ = get(c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  fused_ = settings_.fused_ops && all_bf16(layers_, {embed_, final_norm_, head_});
  if (fused_) {
    // One GEMM for q, k and v, and one for gate and up, on views where the
    // model's weights are packed (pack_projection_weights). Unpacked, q, k
    // and v are concatenated (a copy beside the model's own: on the Qwen2-7B
    // shape 28 x 33 MB, 0.9 GB), gate and up stay two GEMMs (a copy of them
    // would cost 7.6 GB).
    auto stacked = [](const std::vector<at::Tensor>& parts) {
      const at::Tensor view = adjacent_rows(parts);
      return view.defined() ? view : at::cat(parts, 0);
    };
    for (LayerWeights& lw : layers_) {
      lw.qkv = stacked({lw.q, lw.k, lw.v});
      if (lw.q_bias.defined()) lw.qkv_bias = stacked({lw.q_bias, lw.k_bias, lw.v_bias});
      lw.gate_up = adjacent_rows({lw.gate, lw.up});
      if (lw.gate_up.defined() && lw.gate_bias.defined())
        lw.gate_up_bias = stacked({lw.gate_bias, lw.up_bias});
    }
  }
  const int64_t B = attention_->shape().batch, D = c.head_dim;
  const auto longs = at::TensorOptions(at::kLong).device(model.device());
  tokens_ = at::zeros({B, 1}, longs);
  positions_ = at::zeros({B, 1}, longs);
  // The RoPE frequencies exactly as decoder.cpp computes them (on the CPU).
  inv_freq_ =
      (1.0 / at::pow(c.rope_theta,
                     at::arange(0, D, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) / D))
          .to(model.device());
  // The fused path's attention writes bf16, the o projection's input dtype.
  out_ = at::zeros({B, c.num_attention_heads, D},
                   at::TensorOptions(fused_ ? at::kBFloat16 : at::kFloat).device(model.device()));
  host_tokens_.assign(B, 0);
  host_positions_.assign(B, 0);
}

DeviceDecoder::~DeviceDecoder() = default;

kernels::KeySource DeviceDecoder::layer_source(int layer) const {
  if (layer < settings_.dense_layers) return kernels::kTrainingRow;
  switch (settings_.attention) {
    case DeviceAttentionKind::kSelective:
      return kernels::kSelectedKeys;
    case DeviceAttentionKind::kTrainingRow:
      return kernels::kTrainingRow;
    case DeviceAttentionKind::kFullFlash:
    case DeviceAttentionKind::kFullSdpa:
      return kernels::kAllKeys;
  }
  return kernels::kSelectedKeys;
}

void DeviceDecoder::set_inputs(const std::vector<int64_t>& tokens,
                               const std::vector<int64_t>& positions) {
  if (tokens.size() != host_tokens_.size() || positions.size() != host_positions_.size())
    throw std::invalid_argument("GPU decode: one token and position per sequence");
  host_tokens_ = tokens;
  host_positions_ = positions;
}

at::Tensor DeviceDecoder::attention_block(int layer, const at::Tensor& x, const at::Tensor& cos,
                                          const at::Tensor& sin, int set, bool scores) {
  const ModelConfig& c = model_.config();
  const int64_t B = x.size(0), H = c.num_attention_heads, Hkv = c.num_key_value_heads,
                D = c.head_dim;
  const LayerWeights& w = layers_[layer];
  auto heads = [&](const at::Tensor& t, int64_t n) { return t.view({B, 1, n, D}).transpose(1, 2); };
  const at::Tensor cq = cos.to(x.scalar_type()), sq = sin.to(x.scalar_type());
  const at::Tensor q = rotate(heads(linear(x, w.q, w.q_bias), H), cq, sq);  // [B, H, 1, D]
  const at::Tensor k = rotate(heads(linear(x, w.k, w.k_bias), Hkv), cq, sq);
  const at::Tensor v = heads(linear(x, w.v, w.v_bias), Hkv);
  DeviceLayerCache& cache = caches_[layer];
  const cudaStream_t s = stream_.stream();
  attention_->append(k.to(at::kBFloat16).contiguous(), v.to(at::kBFloat16).contiguous(), cache, s);
  at::Tensor o = attend(layer, q, x.scalar_type(), set, scores);
  o = o.transpose(1, 2).reshape({B, 1, H * D});
  return linear(o, w.o, w.o_bias);
}

at::Tensor DeviceDecoder::attend(int layer, const at::Tensor& q, at::ScalarType dtype, int set,
                                 bool scores) {
  const ModelConfig& c = model_.config();
  const int64_t B = q.size(0), H = c.num_attention_heads, D = c.head_dim;
  const DeviceLayerCache& cache = caches_[layer];
  if (settings_.attention == DeviceAttentionKind::kFullSdpa && layer >= settings_.dense_layers) {
    const int64_t n = settings_.sdpa_length;
    return at::scaled_dot_product_attention(
               q.to(at::kBFloat16).view({B, H, 1, D}), cache.keys.narrow(2, 0, n),
               cache.values.narrow(2, 0, n), {}, 0.0, false,
               1.0 / std::sqrt(static_cast<double>(D)), /*enable_gqa=*/true)
        .to(dtype);
  }
  attention_->attend(layer, q.to(at::kBFloat16).contiguous(), cache, layer_source(layer), out_,
                     stream_.stream(), set, scores && layer_selects(layer));
  // fp32 (the op chains): one cast for the o projection; bf16: none.
  return out_.to(dtype).view({B, H, 1, D});
}

at::Tensor DeviceDecoder::project(const at::Tensor& x, const at::Tensor& w,
                                  const at::Tensor& b) const {
  return settings_.small_batch_gemm ? small_batch_linear(x, w, b, stream_.stream())
                                    : linear(x, w, b);
}

// The fused path: x [B, hidden] normed; returns the block's output [B, hidden].
at::Tensor DeviceDecoder::attention_fused(int layer, const at::Tensor& x, const at::Tensor& cos,
                                          const at::Tensor& sin, int set, bool scores) {
  const ModelConfig& c = model_.config();
  const int64_t B = x.size(0), H = c.num_attention_heads, D = c.head_dim;
  const LayerWeights& w = layers_[layer];
  const cudaStream_t s = stream_.stream();
  // RoPE writes k and v into the cache itself: no append kernel.
  const kernels::AppendParams cache = attention_->append_params(caches_[layer]);
  const RotatedQkv r =
      fused_rope(project(x, w.qkv, w.qkv_bias), cos, sin, H, c.num_key_value_heads, D, s, &cache);
  const at::Tensor o = attend(layer, r.q, x.scalar_type(), set, scores);  // [B, H, 1, D]
  return project(o.reshape({B, H * D}), w.o, w.o_bias);
}

at::Tensor DeviceDecoder::forward_fused(int set, bool scores) {
  const ModelConfig& c = model_.config();
  const cudaStream_t s = stream_.stream();
  const double eps = c.rms_norm_eps;
  at::Tensor h = at::embedding(embed_, tokens_.view({-1}));  // [B, hidden]
  // The step's RoPE table once for every layer: fp32 as decoder.cpp, then
  // the dtype as its attention block casts it.
  const at::Tensor freqs = positions_.to(at::kFloat) * inv_freq_;  // [B, D / 2]
  const at::Tensor emb = at::cat({freqs, freqs}, -1);
  const at::Tensor cos = emb.cos().to(at::kBFloat16), sin = emb.sin().to(at::kBFloat16);
  at::Tensor delta;  // each block's output, added to h by the norm after it
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& w = layers_[l];
    const at::Tensor a = delta.defined() ? fused_add_rms_norm(h, delta, w.input_norm, eps, s)
                                         : fused_rms_norm(h, w.input_norm, eps, s);
    delta = attention_fused(static_cast<int>(l), a, cos, sin, set, scores);
    const at::Tensor x = fused_add_rms_norm(h, delta, w.post_norm, eps, s);
    const at::Tensor product =
        w.gate_up.defined()
            ? fused_silu_mul_halves(project(x, w.gate_up, w.gate_up_bias), s)
            : fused_silu_mul(project(x, w.gate, w.gate_bias), project(x, w.up, w.up_bias), s);
    delta = project(product, w.down, w.down_bias);
  }
  return project(fused_add_rms_norm(h, delta, final_norm_, eps, s), head_, {});  // [B, vocab]
}

at::Tensor DeviceDecoder::forward(int set, bool scores) {
  const ModelConfig& c = model_.config();
  at::Tensor h = at::embedding(embed_, tokens_);  // [B, 1, hidden]
  const at::Tensor freqs = positions_.to(at::kFloat).unsqueeze(-1) * inv_freq_;
  const at::Tensor emb = at::cat({freqs, freqs}, -1).unsqueeze(1);  // [B, 1, 1, D]
  const at::Tensor cos = emb.cos(), sin = emb.sin();
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& w = layers_[l];
    const at::Tensor a = rms_norm(h, w.input_norm, c.rms_norm_eps);
    h = h + attention_block(static_cast<int>(l), a, cos, sin, set, scores);
    const at::Tensor x = rms_norm(h, w.post_norm, c.rms_norm_eps);
    const at::Tensor gate = linear(x, w.gate, w.gate_bias), up = linear(x, w.up, w.up_bias);
    h = h + linear(at::silu(gate) * up, w.down, w.down_bias);
  }
  return at::linear(rms_norm(h, final_norm_, c.rms_norm_eps), head_).select(1, 0);  // [B, vocab]
}

const at::Tensor& DeviceDecoder::step(int set, bool scores) {
  const cudaStream_t caller = at::cuda::getCurrentCUDAStream().stream();
  {
    c10::cuda::CUDAStreamGuard guard(stream_);
    const cudaStream_t s = stream_.stream();
    // Our stream starts after what the caller queued (the prefill, the cache).
    cudaEvent_t ready;
    CUDA_CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(ready, caller));
    CUDA_CHECK(cudaStreamWaitEvent(s, ready, 0));
    CUDA_CHECK(cudaEventDestroy(ready));
    CUDA_CHECK(cudaMemcpyAsync(tokens_.data_ptr(), host_tokens_.data(),
                               host_tokens_.size() * sizeof(int64_t), cudaMemcpyHostToDevice, s));
    CUDA_CHECK(cudaMemcpyAsync(positions_.data_ptr(), host_positions_.data(),
                               host_positions_.size() * sizeof(int64_t), cudaMemcpyHostToDevice,
                               s));
    attention_->upload_steps(s);
    const int key = set * 2 + (scores ? 1 : 0);
    const auto it = graphs_.find(key);
    if (it != graphs_.end()) {
      it->second->replay();
      logits_ = graph_logits_[key];
    } else if (!settings_.use_graph || !warm_) {
      // The first step runs eagerly: it warms up cuBLAS and the allocator.
      logits_ = fused_ ? forward_fused(set, scores) : forward(set, scores);
      warm_ = true;
    } else {
      auto graph = std::make_unique<at::cuda::CUDAGraph>();
      graph->capture_begin();
      graph_logits_[key] = fused_ ? forward_fused(set, scores) : forward(set, scores);
      graph->capture_end();
      graph->replay();
      logits_ = graph_logits_[key];
      graphs_[key] = std::move(graph);
    }
    cudaEvent_t done;
    CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(done, s));
    CUDA_CHECK(cudaStreamWaitEvent(caller, done, 0));
    CUDA_CHECK(cudaEventDestroy(done));
  }
  return logits_;
}

}  // namespace ssa

#endif  // SSA_WITH_CUDA
