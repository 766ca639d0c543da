// The tokenizer of a training run (see training_text.h).
#include "engine/train/training_text.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/model/checkpoint.h"
#include "engine/model/gist_tokens.h"
#include "engine/model/message.h"

namespace ssa {
namespace {

namespace fs = std::filesystem;

fs::path init_tokenizer(const TrainConfig& c) {
  if (c.has_model || c.init.empty()) return {};
  const fs::path file = fs::path(c.init) / "tokenizer.json";
  return fs::exists(file) ? file : fs::path();
}

}  // namespace

std::shared_ptr<const ModelText> prepare_training_text(const TrainConfig& c, DecoderModel& model) {
  const int levels = c.ssa.enabled ? c.ssa.layout.num_levels() : 0;
  const fs::path file = init_tokenizer(c);
  if (file.empty()) {
    auto text = std::make_shared<ModelText>(byte_model_text(std::max(1, levels)));
    if (c.ssa.enabled) {
      text->gist_ids.clear();
      for (int level = 0; level < levels; ++level)
        text->gist_ids.push_back(c.ssa.layout.gist_token_base + level);
    }
    return text;
  }
  CheckpointInfo info;
  try {
    info.tokenizer = load_tokenizer_json(file);
  } catch (const TokenizerError& e) {
    throw std::runtime_error(message(c.source, ": init ", c.init, ": ", e.what()));
  }
  auto text = std::make_shared<ModelText>();
  if (levels > 0) {
    try {
      *text = prepare_model_text(model, c.init, info, levels);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(message(c.source, ": ", e.what()));
    }
    model.mutable_config().ssa.layout.gist_token_base = text->gist_ids[0];
  } else {
    // Causal training: the tokenizer's ids, no gists.
    const ModelConfig& config = model.config();
    text->tokenizer = info.tokenizer;
    text->byte_level = false;
    text->source = file.string();
    text->bos = config.bos_token_id;
    text->eos = config.eos_token_id;
    text->pad = config.pad_token_id;
    text->stop_ids = config.eos_token_ids;
  }
  return text;
}

SequenceSettings training_sequences(const TrainConfig& c, std::shared_ptr<const ModelText> text) {
  SequenceSettings s{c.seq_len, c.ssa, c.answer_weight, c.answer_first_weight, nullptr};
  if (text && !text->byte_level) {
    if (c.ssa.enabled && !text->gist_ids.empty()) s.ssa.layout.gist_token_base = text->gist_ids[0];
    s.text = std::move(text);
  }
  return s;
}

void save_training_text(const TrainConfig& c, const ModelText& text, const std::string& dir) {
  const fs::path file = init_tokenizer(c);
  if (text.byte_level || file.empty()) return;
  std::ifstream in(file, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::ordered_json spec = nlohmann::ordered_json::parse(buffer.str(), nullptr, false);
  if (spec.is_discarded() || !spec.is_object())
    throw std::runtime_error(message(file.string(), ": not JSON"));
  // The gist tokens as transformers' add_special_tokens writes them.
  nlohmann::ordered_json& added = spec["added_tokens"];
  if (!added.is_array()) added = nlohmann::ordered_json::array();
  for (const char* content : kGistTokenTexts) {
    const std::optional<int64_t> id = text.tokenizer->token_id(content);
    if (!id) continue;
    bool listed = false;
    for (const auto& entry : added) listed = listed || entry.value("content", "") == content;
    if (listed) continue;
    added.push_back({{"id", *id},
                     {"content", content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  fs::create_directories(dir);
  const fs::path out = fs::path(dir) / "tokenizer.json";
  std::ofstream(out, std::ios::binary) << spec.dump();
  if (!fs::exists(out)) throw std::runtime_error(message(out.string(), ": write failed"));
  for (const char* name : {"tokenizer_config.json", "chat_template.jinja", "generation_config.json",
                           "special_tokens_map.json"}) {
    const fs::path from = fs::path(c.init) / name;
    if (fs::exists(from))
      fs::copy_file(from, fs::path(dir) / name, fs::copy_options::overwrite_existing);
  }
}

}  // namespace ssa
