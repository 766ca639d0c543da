// The tokenizer and special ids of a model (see model_text.h).
#include "engine/data/model_text.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "engine/model/checkpoint_error.h"
#include "engine/model/gist_tokens.h"
#include "engine/model/message.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa {

bool ModelText::is_gist(int64_t id) const {
  return std::find(gist_ids.begin(), gist_ids.end(), id) != gist_ids.end();
}

std::vector<int64_t> ModelText::never_generated(int64_t vocab_size) const {
  std::vector<int64_t> ids;
  auto add = [&](int64_t id) {
    if (id < 0 || id >= vocab_size) return;
    if (std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end()) return;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  add(bos);
  if (byte_level) {
    for (int64_t id = ByteTokenizer::kPad; id < vocab_size; ++id) add(id);
  } else {
    add(pad);
    for (int64_t id : gist_ids) add(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

ModelText byte_model_text(int levels) {
  auto tokenizer = std::make_shared<ByteTokenizer>(levels);
  ModelText t;
  t.byte_level = true;
  t.source = "byte tokenizer";
  t.bos = ByteTokenizer::kBos;
  t.eos = ByteTokenizer::kEos;
  t.pad = ByteTokenizer::kPad;
  t.stop_ids = {ByteTokenizer::kEos};
  for (int level = 0; level < levels; ++level) t.gist_ids.push_back(tokenizer->gist_id(level));
  t.tokenizer = std::move(tokenizer);
  return t;
}

namespace {

// The reference's way: found ids used, missing ones added after the
// vocabulary (tokenizer and embedding alike, mean rows).
void prepare_gists(DecoderModel& model, Tokenizer& tokenizer, int levels, const GistTokenIds& found,
                   ModelText& t) {
  const GistTokens g = prepare_gist_tokens(model, levels, tokenizer.vocab_size(), found);
  // The tokenizer learns the missing ones too, in the reference's order, so
  // that its ids and the embedding's new rows agree.
  std::vector<std::string> missing;
  for (size_t k = 0; k < kGistTokenTexts.size(); ++k)
    if (!found[k]) missing.push_back(kGistTokenTexts[k]);
  if (!missing.empty()) {
    const std::vector<int64_t> added = tokenizer.add_special_tokens(missing);
    std::string names, ids;
    for (size_t i = 0, k = 0; k < kGistTokenTexts.size(); ++k) {
      if (found[k]) continue;
      if (added[i] != g.all[k])
        throw CheckpointError(message(t.source, ": ", kGistTokenTexts[k], " was added as id ",
                                      added[i], ", the embedding expected ", g.all[k]));
      names += message(i ? ", " : "", kGistTokenTexts[k]);
      ids += message(i ? ", " : "", added[i]);
      ++i;
    }
    t.notes.push_back(message("added ", names, " to the tokenizer as ids ", ids,
                              ", their embedding rows the mean of the pretrained rows"));
  }
  for (const std::string& w : g.warnings) t.notes.push_back(w);
  if (!g.consecutive()) {
    std::string listed;
    for (int64_t id : g.ids) listed += (listed.empty() ? "" : ", ") + std::to_string(id);
    throw std::invalid_argument(message(t.source, ": the gist token ids ", listed,
                                        " are not consecutive; the layout needs base, base + 1, "
                                        "... for its levels"));
  }
  t.gist_ids = g.ids;
}

}  // namespace

ModelText prepare_model_text(DecoderModel& model, const std::string& dir,
                             const CheckpointInfo& info, int levels, int64_t byte_gist_base) {
  namespace fs = std::filesystem;
  const ModelConfig& config = model.config();
  if (!info.tokenizer) {
    if (!info.tokenizer_problem.empty()) throw CheckpointError(info.tokenizer_problem);
    // The project's own models: bytes, BOS/EOS/PAD, then one gist id per level.
    ModelText t = byte_model_text(levels);
    t.gist_ids.clear();
    for (int level = 0; level < levels; ++level) t.gist_ids.push_back(byte_gist_base + level);
    if (byte_gist_base < ByteTokenizer::kGistBase || byte_gist_base + levels > config.vocab_size)
      throw CheckpointError(
          message((fs::path(dir) / "config.json").string(), ": no tokenizer.json, and vocab_size ",
                  config.vocab_size, " does not hold ", levels, " gist level(s) from id ",
                  byte_gist_base, " (the byte vocabulary has its gists from 259)"));
    return t;
  }
  ModelText t;
  t.byte_level = false;
  t.source = (fs::path(dir) / "tokenizer.json").string();
  t.tokenizer = info.tokenizer;
  Tokenizer& tokenizer = *t.tokenizer;
  const int64_t base_size = tokenizer.vocab_size();
  const GistTokenIds found = find_gist_tokens(tokenizer);
  if (!found[0] && !found[1] && !found[2] && config.has_ssa_block() &&
      config.ssa.layout.gist_token_base == base_size &&
      base_size + static_cast<int64_t>(kGistTokenTexts.size()) <= config.vocab_size) {
    // Trained with the gists right after this vocabulary but saved without
    // them in tokenizer.json: the rows are trained, so they stay as they are.
    if (levels > static_cast<int>(kGistTokenTexts.size()))
      throw std::invalid_argument(
          message("a tokenizer model has at most 3 gist levels, the layout asks for ", levels));
    const std::vector<int64_t> ids = tokenizer.add_special_tokens(
        std::vector<std::string>(kGistTokenTexts.begin(), kGistTokenTexts.end()));
    t.gist_ids.assign(ids.begin(), ids.begin() + levels);
    t.notes.push_back(message("tokenizer.json lacks the gist tokens: using the ssa block's ids ",
                              ids[0], "..", ids[2], " and their trained rows"));
  } else {
    prepare_gists(model, tokenizer, levels, found, t);
  }
  t.bos = config.bos_token_id;
  t.eos = config.eos_token_id;
  t.pad = config.pad_token_id;
  t.stop_ids = config.eos_token_ids;
  if (t.eos >= 0 && std::find(t.stop_ids.begin(), t.stop_ids.end(), t.eos) == t.stop_ids.end())
    t.stop_ids.push_back(t.eos);
  return t;
}

std::vector<int64_t> with_bos(const ModelText& text, std::vector<int64_t> ids) {
  if (text.bos < 0 || (!ids.empty() && ids.front() == text.bos)) return ids;
  ids.insert(ids.begin(), text.bos);
  return ids;
}

}  // namespace ssa
