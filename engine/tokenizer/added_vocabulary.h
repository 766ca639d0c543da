// AddedVocabulary: the special and added tokens of tokenizer.json ("added_tokens") and of
// add_special_tokens(). Encoding finds them in the text before anything else, as
// tokenizers' AddedVocabulary does: leftmost-longest matches, first in the raw text for
// tokens with normalized = false, then in the normalized rest for those with normalized =
// true; single_word keeps a match only between non-word characters; lstrip / rstrip
// take the whitespace to its left / right into the token.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ssa {

class BpeModel;
class Normalizer;

struct AddedToken {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  // A run of the text: an added token (id >= 0) or text to encode further (id == -1).
  struct Split {
    size_t start, end;
    int64_t id;
  };

  // Adds tokens in order as tokenizers' add_tokens does: a content already known (added or
  // in the model) keeps its id, a new one takes the next id after the model and the added
  // tokens. Returns the id of each token.
  std::vector<int64_t> add(const std::vector<AddedToken>& tokens, const BpeModel& model,
                           const Normalizer& normalizer);

  // Splits valid UTF-8 `text` around the tokens of one set (normalized or not). Empty text
  // gives no split.
  void split(std::string_view text, bool normalized_set, std::vector<Split>& out) const;

  std::optional<int64_t> token_to_id(std::string_view content) const;
  // The string decoding uses for `id` (its normalized form when it has one), or nullptr.
  const std::string* decode_form(int64_t id) const;
  bool is_special_content(std::string_view content) const;
  // One more than the highest added id (0 when none).
  int64_t id_bound() const;
  bool empty() const { return by_id_.empty(); }

 private:
  // A byte trie of one set's patterns, with the bytes that can start one.
  struct Trie {
    struct Node {
      std::vector<std::pair<unsigned char, int32_t>> edges;
      int64_t id = -1;
    };
    std::vector<Node> nodes{Node{}};
    std::array<bool, 256> first{};
    void insert(std::string_view pattern, int64_t id);
    // Length of the longest pattern starting at text[pos] (0 if none), its id in *id.
    size_t longest(std::string_view text, size_t pos, int64_t* id) const;
  };
  void rebuild();

  std::unordered_map<std::string, int64_t> by_content_;
  std::unordered_map<int64_t, AddedToken> by_id_;
  std::unordered_map<int64_t, std::string> normalized_form_;
  std::unordered_set<std::string> special_;
  Trie raw_trie_, normalized_trie_;
};

}  // namespace ssa
