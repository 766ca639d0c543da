// Byte-level tokenizer with SSA special tokens.
#include "engine/tokenizer/byte_tokenizer.h"

#include <stdexcept>

namespace ssa {

ByteTokenizer::ByteTokenizer(int num_levels) : num_levels_(num_levels) {
  if (num_levels < 1) throw std::invalid_argument("ByteTokenizer: num_levels must be >= 1");
}

int64_t ByteTokenizer::vocab_size() const {
  return kGistBase + num_levels_ + static_cast<int64_t>(added_.size());
}

std::vector<int64_t> ByteTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size() + 1);
  if (add_special_tokens) ids.push_back(kBos);
  for (unsigned char byte : text) ids.push_back(byte);
  return ids;
}

std::string ByteTokenizer::token_text(int64_t id) const {
  if (id >= 0 && id < 256) return std::string(1, static_cast<char>(id));
  if (id == kBos) return "<bos>";
  if (id == kEos) return "<eos>";
  if (id == kPad) return "<pad>";
  if (id == kGistBase) return "<G>";
  if (is_gist(id)) return "<M" + std::to_string(id - kGistBase) + ">";
  const int64_t added = id - kGistBase - num_levels_;
  if (added >= 0 && added < static_cast<int64_t>(added_.size())) return added_[added];
  return "<unk" + std::to_string(id) + ">";
}

std::string ByteTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::string text;
  for (int64_t id : ids) {
    if (skip_special_tokens && id >= kBos) continue;
    text += token_text(id);
  }
  return text;
}

std::optional<int64_t> ByteTokenizer::token_id(std::string_view content) const {
  if (content.size() == 1) return static_cast<unsigned char>(content[0]);
  for (int64_t id = kBos; id < vocab_size(); ++id)
    if (token_text(id) == content) return id;
  return std::nullopt;
}

std::vector<int64_t> ByteTokenizer::add_special_tokens(const std::vector<std::string>& contents) {
  std::vector<int64_t> ids;
  for (const std::string& content : contents) {
    if (content.empty()) throw std::invalid_argument("ByteTokenizer: empty special token");
    if (auto id = token_id(content)) {
      ids.push_back(*id);
      continue;
    }
    ids.push_back(vocab_size());
    added_.push_back(content);
  }
  return ids;
}

}  // namespace ssa
