// load_tokenizer: which tokenizer a model folder has, and its BOS/EOS/PAD.
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {
namespace {

namespace fs = std::filesystem;

// A JSON file beside the tokenizer, or null when it is absent.
nlohmann::json read_optional_json(const fs::path& file) {
  if (!fs::exists(file)) return nullptr;
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception&) {
    throw TokenizerError(file.string() + ": not JSON");
  }
}

// tokenizer_config.json names a token ("<|im_start|>" or {"content": ...}).
std::optional<int64_t> named_token(const Tokenizer& t, const nlohmann::json& config,
                                   const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const auto& value = config[key];
  std::string content;
  if (value.is_string())
    content = value.get<std::string>();
  else if (value.is_object() && value.contains("content") && value["content"].is_string())
    content = value["content"].get<std::string>();
  else
    return std::nullopt;
  return t.token_id(content);
}

// config.json gives an id (or a list of ids: the first).
std::optional<int64_t> config_id(const nlohmann::json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const auto& value = config[key];
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_array() && !value.empty() && value[0].is_number_integer())
    return value[0].get<int64_t>();
  return std::nullopt;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer_json(const fs::path& tokenizer_json) {
  auto t = BpeTokenizer::from_file(tokenizer_json);
  const fs::path dir = tokenizer_json.parent_path();
  const auto tokenizer_config = read_optional_json(dir / "tokenizer_config.json");
  const auto model_config = read_optional_json(dir / "config.json");
  auto pick = [&](const char* name, const char* id_key) {
    if (auto id = named_token(*t, tokenizer_config, name)) return id;
    return config_id(model_config, id_key);
  };
  t->set_bos(pick("bos_token", "bos_token_id"));
  t->set_eos(pick("eos_token", "eos_token_id"));
  t->set_pad(pick("pad_token", "pad_token_id"));
  return t;
}

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& model_dir) {
  if (fs::exists(model_dir / "tokenizer.json"))
    return load_tokenizer_json(model_dir / "tokenizer.json");
  if (fs::exists(model_dir / "tokenizer.model"))
    throw TokenizerError((model_dir / "tokenizer.model").string() +
                         ": a SentencePiece tokenizer.model is not supported (tokenizer.json is)");
  const fs::path config_file = model_dir / "config.json";
  const auto config = read_optional_json(config_file);
  if (config.is_null())
    throw TokenizerError(model_dir.string() + ": no tokenizer.json and no config.json");
  const int64_t vocab = config.is_object() && config.contains("vocab_size") &&
                                config["vocab_size"].is_number_integer()
                            ? config["vocab_size"].get<int64_t>()
                            : 0;
  const int64_t levels = vocab - ByteTokenizer::kGistBase;
  if (levels < 1 || levels > 16)
    throw TokenizerError(config_file.string() + ": no tokenizer.json, and vocab_size " +
                         std::to_string(vocab) +
                         " is not the byte vocabulary (256 + 3 + gist levels)");
  return std::make_unique<ByteTokenizer>(static_cast<int>(levels));
}

}  // namespace ssa
