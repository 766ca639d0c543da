// KV-cache causal decoding through DecoderModel::forward_with.
#include "engine/model/causal_decoding.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "engine/model/masked_attention.h"

namespace ssa {

CausalDecoder::CausalDecoder(const DecoderModel& model)
    : model_(model),
      keys_(model.config().num_hidden_layers),
      values_(model.config().num_hidden_layers) {}

at::Tensor CausalDecoder::extend(const std::vector<int64_t>& ids) {
  if (ids.empty()) throw std::invalid_argument("CausalDecoder::extend: no ids");
  const int64_t past = length_, n = static_cast<int64_t>(ids.size());
  const at::Tensor tokens = at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
  const at::Tensor positions = at::arange(past, past + n, at::kLong).unsqueeze(0);
  const ModelConfig& config = model_.config();
  at::Tensor logits = model_.forward_with(
      tokens, positions,
      [&](int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
        at::Tensor& keys = keys_[layer];
        at::Tensor& values = values_[layer];
        keys = keys.defined() ? at::cat({keys, k}, 2) : k;
        values = values.defined() ? at::cat({values, v}, 2) : v;
        const int64_t window = config.sliding_window(layer);
        if (past == 0 && window == 0) return causal_attention(q, keys, values);
        // Query i (cache index past + i) sees keys j <= past + i, within the window.
        const auto opts = at::TensorOptions().dtype(at::kLong).device(q.device());
        const at::Tensor query = at::arange(past, past + n, opts).unsqueeze(1);
        const at::Tensor key = at::arange(0, past + n, opts).unsqueeze(0);
        at::Tensor mask = key <= query;
        if (window > 0) mask = mask & (key > query - window);
        return masked_attention(q, keys, values, mask.unsqueeze(0).unsqueeze(0));
      });
  length_ += n;
  return logits[0];
}

std::vector<int64_t> generate_greedy_causal(const DecoderModel& model,
                                            const std::vector<int64_t>& prompt, int64_t max_tokens,
                                            const std::vector<int64_t>& stop) {
  at::NoGradGuard no_grad;
  CausalDecoder decoder(model);
  std::vector<int64_t> out;
  at::Tensor logits = decoder.extend(prompt);
  for (int64_t i = 0; i < max_tokens; ++i) {
    const int64_t next = logits[-1].argmax().item<int64_t>();
    out.push_back(next);
    if (std::find(stop.begin(), stop.end(), next) != stop.end() || i + 1 == max_tokens) break;
    logits = decoder.extend({next});
  }
  return out;
}

}  // namespace ssa
