// The tokenizer.json pipeline, after tokenizers' TokenizerImpl::encode / decode.
#include "engine/tokenizer/bpe_tokenizer.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "engine/tokenizer/unicode_text.h"

namespace ssa {
namespace {

bool bool_field(const nlohmann::json& j, const char* key, bool fallback) {
  return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : fallback;
}

// Hands each pre-tokenized piece to the model.
struct ModelSink final : PreTokenizer::Sink {
  const BpeModel& model;
  bool byte_level;
  BpeModel::Scratch& scratch;
  std::vector<int64_t>& ids;
  ModelSink(const BpeModel& m, bool b, BpeModel::Scratch& s, std::vector<int64_t>& out)
      : model(m), byte_level(b), scratch(s), ids(out) {}
  void piece(std::string_view piece) override { model.tokenize(piece, byte_level, scratch, ids); }
};

}  // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_json_text(std::string_view json,
                                                           const std::string& origin) {
  nlohmann::json spec;
  try {
    spec = nlohmann::json::parse(json.begin(), json.end());
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(origin + ": not JSON (" + e.what() + ")");
  }
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
  try {
    if (!spec.is_object()) throw TokenizerError("expected a JSON object");
    if (spec.contains("version") && spec["version"] != "1.0")
      throw TokenizerError("version " + spec["version"].dump() + " is not 1.0");
    if (!spec.contains("model")) throw TokenizerError("no \"model\"");
    t->model_ = BpeModel::from_json(spec["model"]);
    t->normalizer_ = Normalizer::from_json(spec.value("normalizer", nlohmann::json()));
    t->pre_tokenizer_ = PreTokenizer::from_json(spec.value("pre_tokenizer", nlohmann::json()));
    t->decoder_ = Decoder::from_json(spec.value("decoder", nlohmann::json()));
    t->post_processor_ = PostProcessor::from_json(spec.value("post_processor", nlohmann::json()));
    std::vector<AddedToken> added;
    for (const auto& entry : spec.value("added_tokens", nlohmann::json::array())) {
      AddedToken token;
      if (!entry.contains("content") || !entry["content"].is_string())
        throw TokenizerError("added_tokens: an entry has no \"content\"");
      token.content = entry["content"].get<std::string>();
      token.single_word = bool_field(entry, "single_word", false);
      token.lstrip = bool_field(entry, "lstrip", false);
      token.rstrip = bool_field(entry, "rstrip", false);
      token.normalized = bool_field(entry, "normalized", true);
      token.special = bool_field(entry, "special", false);
      added.push_back(std::move(token));
    }
    t->added_.add(added, t->model_, t->normalizer_);
  } catch (const TokenizerError& e) {
    throw TokenizerError(origin + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(origin + ": unexpected layout (" + e.what() + ")");
  }
  return t;
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw TokenizerError(file.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return from_json_text(text.str(), file.string());
}

std::vector<int64_t> BpeTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  unicode::require_utf8(text);
  std::vector<int64_t> ids;
  ids.reserve(text.size() / 3 + 4);
  BpeModel::Scratch& scratch = BpeModel::Scratch::of(model_);
  ModelSink sink(model_, pre_tokenizer_.byte_level(), scratch, ids);
  std::vector<AddedVocabulary::Split> raw, normalized;
  std::string storage;
  added_.split(text, false, raw);
  for (const auto& r : raw) {
    if (r.id >= 0) {
      ids.push_back(r.id);
      continue;
    }
    const std::string_view piece =
        normalizer_.apply(text.substr(r.start, r.end - r.start), storage);
    added_.split(piece, true, normalized);
    for (const auto& n : normalized) {
      if (n.id >= 0)
        ids.push_back(n.id);
      else
        pre_tokenizer_.split(piece.substr(n.start, n.end - n.start), sink);
    }
  }
  if (add_special_tokens) return post_processor_.apply(std::move(ids));
  return ids;
}

const std::string* BpeTokenizer::token_string(int64_t id) const {
  if (const std::string* added = added_.decode_form(id)) return added;
  return model_.id_to_token(id);
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    const std::string* token = token_string(id);
    if (token == nullptr) continue;
    if (skip_special_tokens && added_.is_special_content(*token)) continue;
    tokens.push_back(*token);
  }
  return decoder_.decode(std::move(tokens));
}

bool BpeTokenizer::joins_next_token(int64_t id) const {
  const std::string* token = token_string(id);
  return token != nullptr && decoder_.is_fallback_byte(*token);
}

int64_t BpeTokenizer::vocab_size() const {
  return std::max(model_.id_bound(), added_.id_bound());
}

std::optional<int64_t> BpeTokenizer::token_id(std::string_view content) const {
  if (auto id = added_.token_to_id(content)) return id;
  return model_.token_to_id(content);
}

bool BpeTokenizer::is_special(int64_t id) const {
  const std::string* token = token_string(id);
  return token != nullptr && added_.is_special_content(*token);
}

std::vector<int64_t> BpeTokenizer::add_special_tokens(const std::vector<std::string>& contents) {
  std::vector<AddedToken> tokens;
  for (const std::string& content : contents) {
    if (content.empty()) throw TokenizerError("add_special_tokens: a token is empty");
    unicode::require_utf8(content, "special token");
    AddedToken token;
    token.content = content;
    token.normalized = false;
    token.special = true;
    tokens.push_back(std::move(token));
  }
  return added_.add(tokens, model_, normalizer_);
}

}  // namespace ssa
