#include "engine/decode/projection_packing.h"

#include <ATen/ATen.h>

#include <string>

namespace ssa {
namespace {

std::string layer_name(int64_t layer, const char* rest) {
  return "model.layers." + std::to_string(layer) + "." + rest;
}

// The named entries into one tensor; absent names (no bias) leave the group alone.
void pack(TensorMap& weights, const std::vector<std::string>& names) {
  std::vector<at::Tensor> parts;
  for (const std::string& name : names) {
    const auto it = weights.find(name);
    if (it == weights.end()) return;
    parts.push_back(it->second);
  }
  if (adjacent_rows(parts).defined()) return;  // packed already
  const at::Tensor packed = at::cat(parts, 0).detach();
  int64_t row = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const int64_t rows = parts[i].size(0);
    weights[names[i]] = packed.narrow(0, row, rows);
    row += rows;
  }
}

}  // namespace

at::Tensor adjacent_rows(const std::vector<at::Tensor>& parts) {
  if (parts.empty()) return {};
  const at::Tensor& first = parts.front();
  if (!first.defined() || first.dim() < 1) return {};
  int64_t rows = 0;
  const char* next = static_cast<const char*>(first.data_ptr());
  for (const at::Tensor& t : parts) {
    if (!t.defined() || !t.is_contiguous() || t.scalar_type() != first.scalar_type() ||
        t.device() != first.device() || t.dim() != first.dim() ||
        t.sizes().slice(1) != first.sizes().slice(1) || !t.storage().is_alias_of(first.storage()) ||
        static_cast<const char*>(t.data_ptr()) != next)
      return {};
    next += t.nbytes();
    rows += t.size(0);
  }
  std::vector<int64_t> shape = first.sizes().vec();
  shape[0] = rows;
  // Contiguous strides of the whole: a [1, k] part may carry any row stride.
  return at::empty({0}, first.options())
      .set_(first.storage(), first.storage_offset(), shape, c10::contiguous_strides(shape));
}

void pack_projection_weights(DecoderModel& model) {
  TensorMap& w = model.mutable_weights();
  for (int64_t l = 0; l < model.config().num_hidden_layers; ++l) {
    for (const char* kind : {"weight", "bias"}) {
      const std::string k = kind;
      pack(w, {layer_name(l, ("self_attn.q_proj." + k).c_str()),
               layer_name(l, ("self_attn.k_proj." + k).c_str()),
               layer_name(l, ("self_attn.v_proj." + k).c_str())});
      pack(w, {layer_name(l, ("mlp.gate_proj." + k).c_str()),
               layer_name(l, ("mlp.up_proj." + k).c_str())});
    }
  }
}

}  // namespace ssa
