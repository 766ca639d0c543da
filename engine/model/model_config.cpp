// config.json <-> ModelConfig. Reads the keys transformers writes for Llama,
// Qwen2 and Mistral (both the 4.x `rope_theta` / `rope_scaling` and the 5.x
// `rope_parameters` forms).
#include "engine/model/model_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/model/checkpoint_error.h"
#include "engine/model/message.h"

namespace ssa {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw CheckpointError(message(source, ": ", what));
}

template <typename T>
T get_or(const json& j, const char* key, T fallback, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail(source, message("key \"", key, "\" has the wrong type (", it->type_name(), ")"));
  }
}

int64_t required_int(const json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    fail(source, message("expected an integer \"", key, "\""));
  return it->get<int64_t>();
}

struct Architecture {
  const char* model_type;
  const char* name;
};
constexpr Architecture kArchitectures[] = {
    {"llama", "LlamaForCausalLM"},
    {"qwen2", "Qwen2ForCausalLM"},
    {"mistral", "MistralForCausalLM"},
};

const char* architecture_of(const std::string& model_type) {
  for (const auto& a : kArchitectures)
    if (model_type == a.model_type) return a.name;
  return nullptr;
}

// config.json's "architectures" (if any) must name the class of model_type.
void check_architectures(const json& j, const std::string& model_type, const std::string& source) {
  auto it = j.find("architectures");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array()) fail(source, "expected \"architectures\" to be a list");
  for (const auto& a : *it) {
    const std::string name = a.is_string() ? a.get<std::string>() : a.dump();
    bool known = false;
    for (const auto& k : kArchitectures) known = known || name == k.name;
    if (!known)
      fail(source, message("architecture ", name,
                           " is not supported (expected LlamaForCausalLM, Qwen2ForCausalLM or "
                           "MistralForCausalLM)"));
    if (name != architecture_of(model_type))
      fail(source,
           message("architecture ", name, " does not match model_type \"", model_type, "\""));
  }
}

// Per-layer windows (0: none), as transformers 5 derives them.
std::vector<int64_t> sliding_windows(const json& j, const ModelConfig& c,
                                     const std::string& source) {
  auto window_value = [&]() -> int64_t {
    auto it = j.find("sliding_window");
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number_integer() || it->get<int64_t>() <= 0)
      fail(source, message("sliding_window must be a positive integer or null, got ", it->dump()));
    return it->get<int64_t>();
  };
  std::vector<int64_t> windows;
  if (c.model_type == "mistral") {
    const int64_t w = window_value();  // MistralConfig: one window for every layer
    if (w > 0) windows.assign(c.num_hidden_layers, w);
  } else if (c.model_type == "qwen2" && get_or<bool>(j, "use_sliding_window", false, source)) {
    const int64_t w = window_value();
    if (w == 0) return windows;
    auto types = j.find("layer_types");
    if (types != j.end() && !types->is_null()) {
      if (!types->is_array() || static_cast<int64_t>(types->size()) != c.num_hidden_layers)
        fail(source, message("layer_types must list ", c.num_hidden_layers, " layer types"));
      for (const auto& t : *types) {
        const std::string name = t.is_string() ? t.get<std::string>() : "";
        if (name != "full_attention" && name != "sliding_attention")
          fail(source, message("layer_types: unknown layer type ", t.dump()));
        windows.push_back(name == "sliding_attention" ? w : 0);
      }
    } else {
      const int64_t first = get_or<int64_t>(j, "max_window_layers", 28, source);
      for (int64_t l = 0; l < c.num_hidden_layers; ++l) windows.push_back(l >= first ? w : 0);
    }
  }
  bool any = false;
  for (int64_t w : windows) any = any || w > 0;
  if (!any) windows.clear();
  return windows;
}

}  // namespace

std::vector<int64_t> token_ids(const json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  std::vector<int64_t> ids;
  if (it == j.end() || it->is_null()) return ids;
  const json list = it->is_array() ? *it : json::array({*it});
  for (const auto& id : list) {
    if (!id.is_number_integer())
      fail(source, message("\"", key, "\" must be a token id or a list of them, got ", it->dump()));
    if (id.get<int64_t>() >= 0) ids.push_back(id.get<int64_t>());  // some configs write -1: none
  }
  return ids;
}

std::string ModelConfig::architecture() const {
  const char* name = architecture_of(model_type);
  return name ? name : model_type;
}

int64_t ModelConfig::sliding_window(int64_t layer) const {
  return layer < static_cast<int64_t>(sliding_windows.size()) ? sliding_windows[layer] : 0;
}

bool ModelConfig::has_sliding_window() const {
  return !sliding_windows.empty();
}

void ModelConfig::validate() const {
  auto positive = [](int64_t v, const char* name) {
    if (v <= 0) throw std::invalid_argument(message("\"", name, "\" must be positive, got ", v));
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(intermediate_size, "intermediate_size");
  positive(num_hidden_layers, "num_hidden_layers");
  positive(num_attention_heads, "num_attention_heads");
  positive(num_key_value_heads, "num_key_value_heads");
  positive(head_dim, "head_dim");
  if (num_attention_heads % num_key_value_heads != 0)
    throw std::invalid_argument(message("num_attention_heads (", num_attention_heads,
                                        ") must be a multiple of num_key_value_heads (",
                                        num_key_value_heads, ")"));
  if (head_dim % 2 != 0)
    throw std::invalid_argument(message("head_dim must be even for RoPE, got ", head_dim));
  if (!(rope_theta > 0))
    throw std::invalid_argument(message("rope_theta must be > 0, got ", rope_theta));
  if (!(rms_norm_eps >= 0))
    throw std::invalid_argument(message("rms_norm_eps must be >= 0, got ", rms_norm_eps));
  positive(max_position_embeddings, "max_position_embeddings");
  if (!sliding_windows.empty() && static_cast<int64_t>(sliding_windows.size()) != num_hidden_layers)
    throw std::invalid_argument("sliding_windows must have one entry per layer");
  for (int64_t id : eos_token_ids)
    if (id >= vocab_size)
      throw std::invalid_argument(
          message("eos token id ", id, " is outside the vocabulary (", vocab_size, " ids)"));
  for (int64_t id : {bos_token_id, eos_token_id, pad_token_id})
    if (id >= vocab_size)
      throw std::invalid_argument(
          message("token id ", id, " is outside the vocabulary (", vocab_size, " ids)"));
  if (ssa.enabled) {
    ssa.layout.validate();
    int64_t top_id = ssa.layout.gist_token_base + ssa.layout.top_level();
    if (top_id >= vocab_size)
      throw std::invalid_argument(message("the ssa block needs gist ids up to ", top_id,
                                          " but vocab_size is ", vocab_size));
    if (ssa.previous_chunks < 0) throw std::invalid_argument("ssa.previous_chunks must be >= 0");
    if (ssa.dense_layers < 0 || ssa.dense_layers > num_hidden_layers)
      throw std::invalid_argument(message("ssa.dense_layers must be in [0, num_hidden_layers = ",
                                          num_hidden_layers, "], got ", ssa.dense_layers));
  }
}

SsaConfig parse_ssa_config(const json& block, const std::string& source) {
  if (!block.is_object()) fail(source, "expected \"ssa\" to be an object");
  static const char* const kKeys[] = {
      "hierarchy",           "chunk",           "group_sizes",     "sink",         "word_aware",
      "gists_in_generation", "gist_token_base", "previous_chunks", "position_ids", "dense_layers"};
  for (const auto& [key, value] : block.items()) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known)
      fail(source, message("ssa: unknown key \"", key,
                           "\" (expected hierarchy, chunk, group_sizes, sink, word_aware, "
                           "gists_in_generation, gist_token_base, previous_chunks, position_ids, "
                           "dense_layers)"));
  }
  SsaConfig ssa;
  ssa.enabled = true;
  LayoutSettings& s = ssa.layout;
  if (block.contains("hierarchy")) {
    try {
      s = parse_hierarchy(block.at("hierarchy").get<std::string>());
    } catch (const std::exception& e) {
      fail(source, message("ssa.hierarchy: ", e.what()));
    }
  } else {
    s.chunk = get_or<int>(block, "chunk", s.chunk, source);
    s.group_sizes = get_or<std::vector<int>>(block, "group_sizes", {}, source);
  }
  s.sink = get_or<int>(block, "sink", s.sink, source);
  s.word_aware = get_or<bool>(block, "word_aware", s.word_aware, source);
  s.gists_in_generation = get_or<bool>(block, "gists_in_generation", s.gists_in_generation, source);
  s.gist_token_base = get_or<int64_t>(block, "gist_token_base", s.gist_token_base, source);
  ssa.previous_chunks = get_or<int>(block, "previous_chunks", ssa.previous_chunks, source);
  ssa.dense_layers = get_or<int>(block, "dense_layers", ssa.dense_layers, source);
  try {
    s.positions = parse_position_scheme(get_or<std::string>(block, "position_ids", "raw", source));
    s.validate();
  } catch (const std::exception& e) {
    fail(source, message("ssa: ", e.what()));
  }
  return ssa;
}

json ssa_config_to_json(const SsaConfig& ssa) {
  const LayoutSettings& s = ssa.layout;
  json j{{"hierarchy", s.hierarchy_name()},
         {"chunk", s.chunk},
         {"group_sizes", s.group_sizes},
         {"sink", s.sink},
         {"word_aware", s.word_aware},
         {"gists_in_generation", s.gists_in_generation},
         {"gist_token_base", s.gist_token_base},
         {"previous_chunks", ssa.previous_chunks},
         {"position_ids", position_scheme_name(s.positions)}};
  j["dense_layers"] = ssa.dense_layers;
  return j;
}

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    fail(source, message("not valid JSON (", e.what(), ")"));
  }
  if (!j.is_object()) fail(source, "expected a JSON object");
  ModelConfig c;
  c.model_type = get_or<std::string>(j, "model_type", "llama", source);
  if (!architecture_of(c.model_type))
    fail(source, message("model_type \"", c.model_type,
                         "\" is not supported (expected llama, qwen2 or mistral)"));
  check_architectures(j, c.model_type, source);
  std::string act = get_or<std::string>(j, "hidden_act", "silu", source);
  if (act != "silu")
    fail(source, message("hidden_act \"", act, "\" is not supported (expected silu)"));
  c.vocab_size = required_int(j, "vocab_size", source);
  c.hidden_size = required_int(j, "hidden_size", source);
  c.intermediate_size = required_int(j, "intermediate_size", source);
  c.num_hidden_layers = required_int(j, "num_hidden_layers", source);
  c.num_attention_heads = required_int(j, "num_attention_heads", source);
  c.num_key_value_heads = get_or<int64_t>(j, "num_key_value_heads", c.num_attention_heads, source);
  c.head_dim = get_or<int64_t>(j, "head_dim", 0, source);
  if (c.head_dim == 0 && c.num_attention_heads > 0)
    c.head_dim = c.hidden_size / c.num_attention_heads;
  c.rms_norm_eps = get_or<double>(j, "rms_norm_eps", 1e-6, source);
  c.max_position_embeddings = get_or<int64_t>(j, "max_position_embeddings", 4096, source);
  c.tie_word_embeddings = get_or<bool>(j, "tie_word_embeddings", false, source);
  c.torch_dtype = get_or<std::string>(j, "torch_dtype",
                                      get_or<std::string>(j, "dtype", "float32", source), source);

  const ParsedRope rope = parse_rope(j, c.max_position_embeddings, source);
  c.rope_theta = rope.theta;
  c.rope_scaling = rope.scaling;

  if (c.model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2 always has q/k/v biases and no o_proj bias
  } else if (c.model_type == "llama") {
    c.attention_bias = get_or<bool>(j, "attention_bias", false, source);
    c.mlp_bias = get_or<bool>(j, "mlp_bias", false, source);
  }  // Mistral: no biases at all
  if (c.num_hidden_layers > 0) c.sliding_windows = sliding_windows(j, c, source);
  auto first = [](const std::vector<int64_t>& ids) { return ids.empty() ? -1 : ids[0]; };
  c.bos_token_id = first(token_ids(j, "bos_token_id", source));
  c.eos_token_ids = token_ids(j, "eos_token_id", source);
  c.eos_token_id = first(c.eos_token_ids);
  c.pad_token_id = first(token_ids(j, "pad_token_id", source));
  if (j.contains("ssa") && !j["ssa"].is_null()) c.ssa = parse_ssa_config(j["ssa"], source);
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    fail(source, e.what());
  }
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CheckpointError(message(path, ": cannot open (expected a config.json)"));
  std::stringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), path);
}

std::string model_config_to_json(const ModelConfig& c) {
  json j{{"model_type", c.model_type},
         {"architectures", {c.architecture()}},
         {"hidden_act", "silu"},
         {"vocab_size", c.vocab_size},
         {"hidden_size", c.hidden_size},
         {"intermediate_size", c.intermediate_size},
         {"num_hidden_layers", c.num_hidden_layers},
         {"num_attention_heads", c.num_attention_heads},
         {"num_key_value_heads", c.num_key_value_heads},
         {"head_dim", c.head_dim},
         {"rope_theta", c.rope_theta},
         {"rms_norm_eps", c.rms_norm_eps},
         {"max_position_embeddings", c.max_position_embeddings},
         {"tie_word_embeddings", c.tie_word_embeddings},
         {"torch_dtype", c.torch_dtype}};
  if (c.model_type == "llama") {
    j["attention_bias"] = c.attention_bias;
    j["mlp_bias"] = c.mlp_bias;
  }
  if (c.rope_scaling.type != RopeType::kDefault) {
    // The 4.x key: transformers 4 reads it, and 5 prefers it over rope_parameters.
    json scaling = rope_parameters_json(c.rope_theta, c.rope_scaling);
    scaling.erase("rope_theta");
    j["rope_scaling"] = scaling;
  }
  if (c.has_sliding_window()) {
    int64_t w = 0;
    for (int64_t v : c.sliding_windows) w = std::max(w, v);
    j["sliding_window"] = w;
    if (c.model_type == "qwen2") {
      j["use_sliding_window"] = true;
      json types = json::array();
      for (int64_t v : c.sliding_windows)
        types.push_back(v > 0 ? "sliding_attention" : "full_attention");
      j["layer_types"] = types;
    }
  } else if (c.model_type == "mistral") {
    j["sliding_window"] = nullptr;
  }
  auto id = [](int64_t v) { return v < 0 ? json(nullptr) : json(v); };
  j["bos_token_id"] = id(c.bos_token_id);
  j["eos_token_id"] = c.eos_token_ids.size() > 1 ? json(c.eos_token_ids) : id(c.eos_token_id);
  j["pad_token_id"] = id(c.pad_token_id);
  if (c.ssa.enabled) j["ssa"] = ssa_config_to_json(c.ssa);
  return j.dump(2) + "\n";
}

void save_model_config(const ModelConfig& config, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw CheckpointError(message(path, ": cannot write"));
  out << model_config_to_json(config);
  if (!out) throw CheckpointError(message(path, ": write failed"));
}

}  // namespace ssa
