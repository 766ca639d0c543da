// Word starts from decoded token texts (see word_starts.h).
#include "engine/layout/word_starts.h"

namespace ssa {

bool text_starts_word(std::string_view text) {
  if (text.empty()) return true;
  // U+2014 EM DASH, the one boundary character outside ASCII, in UTF-8.
  constexpr std::string_view kEmDash = "\xE2\x80\x94";
  if (text.substr(0, kEmDash.size()) == kEmDash) return true;
  constexpr std::string_view kBoundaries = " \t\n\r.,;:!?-()[]{}\"'";
  return kBoundaries.find(text.front()) != std::string_view::npos;
}

std::vector<bool> word_starts(const std::vector<std::string>& texts) {
  std::vector<bool> starts(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) starts[i] = i == 0 || text_starts_word(texts[i]);
  return starts;
}

std::vector<bool> word_starts(const std::vector<int64_t>& tokens,
                              const std::function<std::string(int64_t)>& decode_one) {
  std::vector<std::string> texts;
  texts.reserve(tokens.size());
  for (int64_t id : tokens) texts.push_back(decode_one(id));
  return word_starts(texts);
}

}  // namespace ssa
