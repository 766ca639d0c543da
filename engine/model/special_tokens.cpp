// Special token ids from generation_config.json, tokenizer_config.json and
// the tokenizer (see special_tokens.h for which file wins).
#include "engine/model/special_tokens.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "engine/model/checkpoint_error.h"
#include "engine/model/json_file.h"
#include "engine/model/message.h"
#include "engine/model/model_config.h"

namespace ssa {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw CheckpointError(message(source, ": ", what));
}

// tokenizer_config.json's <key>: a string or {"content": string}, resolved to
// an id; -1 when the key is absent or null.
int64_t config_token(const json& config, const char* key, const Tokenizer* tokenizer,
                     const std::string& source) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return -1;
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    text = (*it)["content"].get<std::string>();
  } else {
    fail(source, message(key, ": expected a token string, got ", it->dump()));
  }
  if (tokenizer)
    if (std::optional<int64_t> id = tokenizer->token_id(text)) return *id;
  // transformers 4 also lists the added tokens here, by id.
  auto decoder = config.find("added_tokens_decoder");
  if (decoder != config.end() && decoder->is_object()) {
    for (const auto& [id, entry] : decoder->items()) {
      if (entry.is_object() && entry.value("content", "") == text) {
        try {
          return std::stoll(id);
        } catch (const std::exception&) {
          fail(source, message("added_tokens_decoder: bad id \"", id, "\""));
        }
      }
    }
  }
  fail(source, message(key, " \"", text, "\" is not a token of ",
                       tokenizer ? "tokenizer.json" : "this tokenizer (no tokenizer.json)"));
}

}  // namespace

SpecialTokens load_special_tokens(const std::string& dir, int64_t config_bos,
                                  const std::vector<int64_t>& config_eos, int64_t config_pad,
                                  const Tokenizer* tokenizer, bool tokenizer_unreadable) {
  namespace fs = std::filesystem;
  SpecialTokens t;
  t.bos = config_bos;
  t.pad = config_pad;
  t.stop = config_eos;

  const std::string generation_path = (fs::path(dir) / "generation_config.json").string();
  const json generation = read_json_file(generation_path);
  if (!generation.is_null()) {
    std::vector<int64_t> stop = token_ids(generation, "eos_token_id", generation_path);
    if (!stop.empty()) t.stop = stop;
    std::vector<int64_t> bos = token_ids(generation, "bos_token_id", generation_path);
    if (!bos.empty()) t.bos = bos[0];
    std::vector<int64_t> pad = token_ids(generation, "pad_token_id", generation_path);
    if (!pad.empty()) t.pad = pad[0];
  }
  t.eos = t.stop.empty() ? -1 : t.stop[0];

  const std::string tokenizer_path = (fs::path(dir) / "tokenizer_config.json").string();
  const json tokenizer_config = read_json_file(tokenizer_path);
  // Its token strings need the tokenizer; without one that can be read, the
  // ids of config.json and generation_config.json stand.
  if (!tokenizer_config.is_null() && !tokenizer_unreadable) {
    if (int64_t bos = config_token(tokenizer_config, "bos_token", tokenizer, tokenizer_path);
        bos >= 0)
      t.bos = bos;
    if (int64_t eos = config_token(tokenizer_config, "eos_token", tokenizer, tokenizer_path);
        eos >= 0)
      t.eos = eos;
    if (int64_t pad = config_token(tokenizer_config, "pad_token", tokenizer, tokenizer_path);
        pad >= 0)
      t.pad = pad;
  }
  if (t.stop.empty() && t.eos >= 0) t.stop = {t.eos};
  return t;
}

}  // namespace ssa
