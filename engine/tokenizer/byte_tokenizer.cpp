// Byte-level tokenizer with SSA special tokens.
#include "engine/tokenizer/byte_tokenizer.h"

#include <stdexcept>

namespace ssa {

ByteTokenizer::ByteTokenizer(int num_levels) : num_levels_(num_levels) {
  if (num_levels < 1) throw std::invalid_argument("ByteTokenizer: num_levels must be >= 1");
}

std::vector<int64_t> ByteTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
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
  return "<unk" + std::to_string(id) + ">";
}

std::string ByteTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string text;
  for (int64_t id : ids) text += token_text(id);
  return text;
}

}  // namespace ssa
