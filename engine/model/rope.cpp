// RoPE settings from config.json and their frequency tables. Each expression
// below mirrors one line of transformers' modeling_rope_utils.py: Python
// scalars are doubles here, tensors float32, and `1.0 / t` is written as
// t.reciprocal() because that is what torch's Tensor.__rtruediv__ does.
#include "engine/model/rope.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/model/checkpoint_error.h"
#include "engine/model/message.h"

namespace ssa {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw CheckpointError(message(source, ": ", what));
}

// A number from `j[key]`, or nullopt when absent or null.
std::optional<double> number(const json& j, const char* key, const std::string& where,
                             const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) fail(source, message(where, key, " must be a number, got ", it->dump()));
  const double v = it->get<double>();
  if (!std::isfinite(v)) fail(source, message(where, key, " must be finite"));
  return v;
}

double required(const json& j, const char* key, const char* type, const std::string& source) {
  std::optional<double> v = number(j, key, "rope ", source);
  if (!v) fail(source, message("rope type \"", type, "\" needs \"", key, "\""));
  return *v;
}

at::Tensor even_exponents(int64_t dim, c10::Device device) {
  // torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim
  return at::arange(0, dim, 2, at::TensorOptions().dtype(at::kLong).device(device)).to(at::kFloat) /
         dim;
}

// 1.0 / (base ** exponents) with a Python-float base.
at::Tensor default_inv_freq(double base, int64_t dim, c10::Device device) {
  return at::pow(base, even_exponents(dim, device)).reciprocal();
}

at::Tensor llama3_inv_freq(double theta, const RopeScaling& r, int64_t dim, c10::Device device) {
  at::Tensor inv_freq = default_inv_freq(theta, dim, device);
  const double old_context_len = static_cast<double>(r.original_max_position_embeddings);
  const double low_freq_wavelen = old_context_len / r.low_freq_factor;
  const double high_freq_wavelen = old_context_len / r.high_freq_factor;
  const at::Tensor wavelen = inv_freq.reciprocal() * (2 * M_PI);
  at::Tensor inv_freq_llama = at::where(wavelen > low_freq_wavelen, inv_freq / r.factor, inv_freq);
  const at::Tensor smooth_factor = (wavelen.reciprocal() * old_context_len - r.low_freq_factor) /
                                   (r.high_freq_factor - r.low_freq_factor);
  const at::Tensor smoothed =
      at::rsub(smooth_factor, 1) * inv_freq_llama / r.factor + smooth_factor * inv_freq_llama;
  const at::Tensor is_medium =
      at::logical_not(wavelen < high_freq_wavelen) * at::logical_not(wavelen > low_freq_wavelen);
  return at::where(is_medium, smoothed, inv_freq_llama);
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

// Python truthiness of an optional number (None and 0 are false).
bool truthy(const std::optional<double>& v) {
  return v && *v != 0.0;
}

at::Tensor yarn_inv_freq(double theta, const RopeScaling& r, int64_t dim, c10::Device device) {
  const double base = theta, factor = r.factor;
  const auto correction_dim = [&](double rotations) {
    return (dim * std::log(r.original_max_position_embeddings / (rotations * 2 * M_PI))) /
           (2 * std::log(base));
  };
  double low = correction_dim(r.beta_fast), high = correction_dim(r.beta_slow);
  if (r.truncate) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // transformers: "prevent singularity"

  const at::Tensor pos_freqs = at::pow(base, even_exponents(dim, device));
  const at::Tensor extrapolation = pos_freqs.reciprocal();
  const at::Tensor interpolation = (pos_freqs * factor).reciprocal();
  const at::Tensor ramp = at::clamp(
      (at::arange(dim / 2, at::TensorOptions().dtype(at::kFloat)) - low) / (high - low), 0, 1);
  const at::Tensor extrapolation_factor = at::rsub(ramp.to(device), 1);
  return interpolation * at::rsub(extrapolation_factor, 1) + extrapolation * extrapolation_factor;
}

at::Tensor dynamic_inv_freq(double theta, const RopeScaling& r, int64_t dim,
                            int64_t max_position_embeddings, int64_t max_position,
                            c10::Device device) {
  const double factor = r.factor;
  if (max_position + 1 <= max_position_embeddings) {
    // The frequencies of the model's construction (seq_len = max_position_embeddings,
    // a Python int): transformers keeps them until a call is longer.
    const double m = static_cast<double>(max_position_embeddings);
    const double base =
        theta * std::pow((factor * m / m) - (factor - 1), static_cast<double>(dim) / (dim - 2));
    return default_inv_freq(base, dim, device);
  }
  // seq_len is a tensor there (torch.max(position_ids) + 1), so the new base is
  // computed in float32.
  const at::Tensor seq_len = at::scalar_tensor(max_position + 1, at::kLong).to(device);
  const at::Tensor base = ((seq_len * factor / max_position_embeddings) - (factor - 1))
                              .pow(static_cast<double>(dim) / (dim - 2)) *
                          theta;
  return at::pow(base, even_exponents(dim, device)).reciprocal();
}

}  // namespace

const char* rope_type_name(RopeType type) {
  switch (type) {
    case RopeType::kDefault:
      return "default";
    case RopeType::kLinear:
      return "linear";
    case RopeType::kDynamic:
      return "dynamic";
    case RopeType::kLlama3:
      return "llama3";
    case RopeType::kYarn:
      return "yarn";
  }
  return "?";
}

double RopeScaling::attention_scaling() const {
  if (type != RopeType::kYarn) return 1.0;
  if (attention_factor) return *attention_factor;
  if (truthy(mscale) && truthy(mscale_all_dim))
    return yarn_mscale(factor, *mscale) / yarn_mscale(factor, *mscale_all_dim);
  return yarn_mscale(factor, 1.0);
}

json rope_parameters_json(double theta, const RopeScaling& s) {
  const RopeType type = s.type;
  json j{{"rope_type", rope_type_name(type)}, {"rope_theta", theta}};
  if (type == RopeType::kDefault) return j;
  j["factor"] = s.factor;
  if (type == RopeType::kLlama3 || type == RopeType::kYarn)
    j["original_max_position_embeddings"] = s.original_max_position_embeddings;
  if (type == RopeType::kLlama3) {
    j["low_freq_factor"] = s.low_freq_factor;
    j["high_freq_factor"] = s.high_freq_factor;
  }
  if (type == RopeType::kYarn) {
    j["beta_fast"] = s.beta_fast;
    j["beta_slow"] = s.beta_slow;
    j["truncate"] = s.truncate;
    if (s.attention_factor) j["attention_factor"] = *s.attention_factor;
    if (s.mscale) j["mscale"] = *s.mscale;
    if (s.mscale_all_dim) j["mscale_all_dim"] = *s.mscale_all_dim;
  }
  return j;
}

ParsedRope parse_rope(const json& config, int64_t max_position_embeddings,
                      const std::string& source) {
  ParsedRope parsed;
  RopeScaling& r = parsed.scaling;
  // transformers: `rope_scaling or rope_parameters`, so the 4.x key wins.
  const json* params = nullptr;
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) continue;
    if (!it->is_object()) fail(source, message("expected \"", key, "\" to be an object"));
    params = &*it;
    break;
  }
  const json empty = json::object();
  const json& p = params ? *params : empty;
  for (const char* nested : {"full_attention", "sliding_attention"})
    if (p.contains(nested) && p[nested].is_object())
      fail(source, "rope parameters per layer type are not supported (one rope for all layers)");

  parsed.theta = number(p, "rope_theta", "", source)
                     .value_or(number(config, "rope_theta", "", source).value_or(10000.0));
  if (!(parsed.theta > 0)) fail(source, message("rope_theta must be > 0, got ", parsed.theta));

  std::string type = "default";
  for (const char* key : {"rope_type", "type"}) {
    auto it = p.find(key);
    if (it == p.end() || it->is_null()) continue;
    if (!it->is_string()) fail(source, message("rope ", key, " must be a string"));
    type = it->get<std::string>();
    break;
  }
  if (type == "default")
    r.type = RopeType::kDefault;
  else if (type == "linear")
    r.type = RopeType::kLinear;
  else if (type == "dynamic")
    r.type = RopeType::kDynamic;
  else if (type == "llama3")
    r.type = RopeType::kLlama3;
  else if (type == "yarn")
    r.type = RopeType::kYarn;
  else
    fail(source,
         message("rope type \"", type,
                 "\" is not supported (expected default, linear, dynamic, llama3 or yarn)"));

  // transformers' default RoPE for these models ignores partial_rotary_factor;
  // with any other type the tables would not fit the heads (it fails there too).
  const double partial =
      number(p, "partial_rotary_factor", "rope ", source)
          .value_or(number(config, "partial_rotary_factor", "", source).value_or(1.0));
  if (partial != 1.0 && r.type != RopeType::kDefault)
    fail(source, message("partial_rotary_factor ", partial, " with rope type \"", type,
                         "\" is not supported (Llama, Qwen2 and Mistral rotate the whole head)"));
  if (r.type == RopeType::kDefault) return parsed;

  const char* t = rope_type_name(r.type);
  if (r.type == RopeType::kYarn) {
    // factor may be null: transformers then uses max / original.
    if (!p.contains("factor")) fail(source, "rope type \"yarn\" needs \"factor\"");
  } else {
    r.factor = required(p, "factor", t, source);
  }
  if (r.type == RopeType::kLlama3 || r.type == RopeType::kYarn) {
    std::optional<double> original = number(config, "original_max_position_embeddings", "", source);
    if (!original) original = number(p, "original_max_position_embeddings", "rope ", source);
    r.original_max_position_embeddings =
        original ? static_cast<int64_t>(*original) : max_position_embeddings;
    if (r.original_max_position_embeddings <= 0)
      fail(source, message("original_max_position_embeddings must be > 0, got ",
                           r.original_max_position_embeddings));
  }
  if (r.type == RopeType::kLlama3) {
    r.low_freq_factor = required(p, "low_freq_factor", t, source);
    r.high_freq_factor = required(p, "high_freq_factor", t, source);
    if (!(r.high_freq_factor > r.low_freq_factor))
      fail(source, message("rope high_freq_factor (", r.high_freq_factor,
                           ") must be greater than low_freq_factor (", r.low_freq_factor, ")"));
  }
  if (r.type == RopeType::kYarn) {
    std::optional<double> factor = number(p, "factor", "rope ", source);
    r.factor = factor ? *factor
                      : static_cast<double>(max_position_embeddings) /
                            static_cast<double>(r.original_max_position_embeddings);
    r.attention_factor = number(p, "attention_factor", "rope ", source);
    r.mscale = number(p, "mscale", "rope ", source);
    r.mscale_all_dim = number(p, "mscale_all_dim", "rope ", source);
    // `get("beta_fast") or 32`: a missing, null or zero value takes the default.
    const double beta_fast = number(p, "beta_fast", "rope ", source).value_or(0.0);
    const double beta_slow = number(p, "beta_slow", "rope ", source).value_or(0.0);
    r.beta_fast = beta_fast != 0.0 ? beta_fast : 32.0;
    r.beta_slow = beta_slow != 0.0 ? beta_slow : 1.0;
    auto it = p.find("truncate");
    if (it != p.end() && !it->is_null()) {
      if (!it->is_boolean()) fail(source, "rope truncate must be true or false");
      r.truncate = it->get<bool>();
    }
  }
  if (!(r.factor > 0)) fail(source, message("rope factor must be > 0, got ", r.factor));
  return parsed;
}

at::Tensor rope_inv_freq(double theta, const RopeScaling& scaling, int64_t head_dim,
                         int64_t max_position_embeddings, int64_t max_position,
                         c10::Device device) {
  switch (scaling.type) {
    case RopeType::kDefault:
      return default_inv_freq(theta, head_dim, device);
    case RopeType::kLinear:
      return default_inv_freq(theta, head_dim, device).div_(scaling.factor);
    case RopeType::kDynamic:
      return dynamic_inv_freq(theta, scaling, head_dim, max_position_embeddings, max_position,
                              device);
    case RopeType::kLlama3:
      return llama3_inv_freq(theta, scaling, head_dim, device);
    case RopeType::kYarn:
      return yarn_inv_freq(theta, scaling, head_dim, device);
  }
  throw std::logic_error("rope_inv_freq: unknown type");
}

RopeTables rope_tables(double theta, const RopeScaling& scaling, int64_t head_dim,
                       int64_t max_position_embeddings, const at::Tensor& position_ids) {
  const c10::Device device = position_ids.device();
  const int64_t max_position = scaling.type == RopeType::kDynamic && position_ids.numel() > 0
                                   ? position_ids.max().item<int64_t>()
                                   : 0;
  const at::Tensor inv_freq =
      rope_inv_freq(theta, scaling, head_dim, max_position_embeddings, max_position, device);
  const at::Tensor freqs = position_ids.to(at::kFloat).unsqueeze(-1) * inv_freq;
  const at::Tensor emb = at::cat({freqs, freqs}, -1).unsqueeze(1);  // [B, 1, L, D]
  const double factor = scaling.attention_scaling();
  return {emb.cos() * factor, emb.sin() * factor};
}

}  // namespace ssa
