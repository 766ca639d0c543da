// Special token ids from generation_config.json, tokenizer_config.json and
// tokenizer.json (see special_tokens.h for which file wins).
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

int64_t id_of(const json& v, const std::string& where, const std::string& source) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    fail(source, message(where, ": expected a token id, got ", v.dump()));
  return v.get<int64_t>();
}

// tokenizer_config.json's <key>: a string or {"content": string}, resolved to
// an id; -1 when the key is absent or null.
int64_t config_token(const json& config, const char* key, const TokenizerVocabulary& vocabulary,
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
  if (std::optional<int64_t> id = vocabulary.find(text)) return *id;
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
  fail(source,
       message(key, " \"", text, "\" is not a token of ",
               vocabulary.present ? "tokenizer.json" : "this tokenizer (no tokenizer.json)"));
}

}  // namespace

std::optional<int64_t> TokenizerVocabulary::find(const std::string& text) const {
  if (auto it = added.find(text); it != added.end()) return it->second;
  if (auto it = vocab.find(text); it != vocab.end()) return it->second;
  return std::nullopt;
}

TokenizerVocabulary load_tokenizer_vocabulary(const std::string& path) {
  TokenizerVocabulary v;
  const json j = read_json_file(path);
  if (j.is_null()) return v;
  v.present = true;
  int64_t highest = -1;
  auto added = j.find("added_tokens");
  if (added != j.end() && !added->is_null()) {
    if (!added->is_array()) fail(path, "added_tokens: expected a list");
    for (const auto& token : *added) {
      if (!token.is_object() || !token.contains("content") || !token["content"].is_string() ||
          !token.contains("id"))
        fail(path, message("added_tokens: expected {\"id\", \"content\"}, got ", token.dump()));
      const int64_t id = id_of(token["id"], "added_tokens", path);
      v.added[token["content"].get<std::string>()] = id;
      highest = std::max(highest, id);
    }
  }
  auto model = j.find("model");
  if (model != j.end() && model->is_object()) {
    auto vocab = model->find("vocab");
    if (vocab != model->end() && vocab->is_object()) {
      for (const auto& [token, id] : vocab->items()) {
        const int64_t value = id_of(id, "model.vocab", path);
        v.vocab.emplace(token, value);
        highest = std::max(highest, value);
      }
    } else if (vocab != model->end() && vocab->is_array()) {  // Unigram: [[piece, score], ...]
      for (size_t i = 0; i < vocab->size(); ++i)
        if ((*vocab)[i].is_array() && !(*vocab)[i].empty() && (*vocab)[i][0].is_string())
          v.vocab.emplace((*vocab)[i][0].get<std::string>(), static_cast<int64_t>(i));
      highest = std::max(highest, static_cast<int64_t>(vocab->size()) - 1);
    }
  }
  // A new token gets the id after both (tokenizers' AddedVocabulary rule).
  v.size = std::max<int64_t>(highest + 1, static_cast<int64_t>(v.vocab.size()));
  return v;
}

SpecialTokens load_special_tokens(const std::string& dir, int64_t config_bos,
                                  const std::vector<int64_t>& config_eos, int64_t config_pad,
                                  const TokenizerVocabulary& vocabulary) {
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
  const json tokenizer = read_json_file(tokenizer_path);
  if (!tokenizer.is_null()) {
    if (int64_t bos = config_token(tokenizer, "bos_token", vocabulary, tokenizer_path); bos >= 0)
      t.bos = bos;
    if (int64_t eos = config_token(tokenizer, "eos_token", vocabulary, tokenizer_path); eos >= 0)
      t.eos = eos;
    if (int64_t pad = config_token(tokenizer, "pad_token", vocabulary, tokenizer_path); pad >= 0)
      t.pad = pad;
  }
  if (t.stop.empty() && t.eos >= 0) t.stop = {t.eos};
  return t;
}

}  // namespace ssa
