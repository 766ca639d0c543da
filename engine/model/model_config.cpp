// config.json <-> ModelConfig. Reads the keys transformers writes for Llama
// and Qwen2 (both the 4.x `rope_theta` and the 5.x `rope_parameters` forms).
#include "engine/model/model_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/model/message.h"

namespace ssa {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(message(source, ": ", what));
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

int64_t token_id(const json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return -1;
  if (it->is_array()) return it->empty() ? -1 : (*it)[0].get<int64_t>();  // eos lists
  return get_or<int64_t>(j, key, -1, source);
}

}  // namespace

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
  if (ssa.enabled) {
    ssa.layout.validate();
    int64_t top_id = ssa.layout.gist_token_base + ssa.layout.top_level();
    if (top_id >= vocab_size)
      throw std::invalid_argument(message("the ssa block needs gist ids up to ", top_id,
                                          " but vocab_size is ", vocab_size));
    if (ssa.previous_chunks < 0) throw std::invalid_argument("ssa.previous_chunks must be >= 0");
  }
}

SsaConfig parse_ssa_config(const json& block, const std::string& source) {
  if (!block.is_object()) fail(source, "expected \"ssa\" to be an object");
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
  return json{{"hierarchy", s.hierarchy_name()},
              {"chunk", s.chunk},
              {"group_sizes", s.group_sizes},
              {"sink", s.sink},
              {"word_aware", s.word_aware},
              {"gists_in_generation", s.gists_in_generation},
              {"gist_token_base", s.gist_token_base},
              {"previous_chunks", ssa.previous_chunks},
              {"position_ids", position_scheme_name(s.positions)}};
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
  if (c.model_type != "llama" && c.model_type != "qwen2")
    fail(source,
         message("model_type \"", c.model_type, "\" is not supported (expected llama or qwen2)"));
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

  // RoPE: transformers 5 nests it in rope_parameters; 4.x uses rope_theta and
  // rope_scaling. Only unscaled ("default") RoPE is implemented.
  c.rope_theta = get_or<double>(j, "rope_theta", 10000.0, source);
  std::string rope_type = "default";
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_object()) fail(source, message("expected \"", key, "\" to be an object"));
    c.rope_theta = get_or<double>(*it, "rope_theta", c.rope_theta, source);
    rope_type = get_or<std::string>(*it, "rope_type",
                                    get_or<std::string>(*it, "type", rope_type, source), source);
  }
  if (rope_type != "default")
    fail(source, message("rope type \"", rope_type, "\" is not supported (expected default)"));

  if (c.model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2 always has q/k/v biases and no o_proj bias
  } else {
    c.attention_bias = get_or<bool>(j, "attention_bias", false, source);
    c.mlp_bias = get_or<bool>(j, "mlp_bias", false, source);
  }
  if (get_or<bool>(j, "use_sliding_window", false, source))
    fail(source, "use_sliding_window=true is not supported");
  c.bos_token_id = token_id(j, "bos_token_id", source);
  c.eos_token_id = token_id(j, "eos_token_id", source);
  c.pad_token_id = token_id(j, "pad_token_id", source);
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
  if (!in) throw std::runtime_error(message(path, ": cannot open (expected a config.json)"));
  std::stringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), path);
}

std::string model_config_to_json(const ModelConfig& c) {
  json j{{"model_type", c.model_type},
         {"architectures", {c.model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
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
  auto id = [](int64_t v) { return v < 0 ? json(nullptr) : json(v); };
  j["bos_token_id"] = id(c.bos_token_id);
  j["eos_token_id"] = id(c.eos_token_id);
  j["pad_token_id"] = id(c.pad_token_id);
  if (c.ssa.enabled) j["ssa"] = ssa_config_to_json(c.ssa);
  return j.dump(2) + "\n";
}

void save_model_config(const ModelConfig& config, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(message(path, ": cannot write"));
  out << model_config_to_json(config);
  if (!out) throw std::runtime_error(message(path, ": write failed"));
}

}  // namespace ssa
