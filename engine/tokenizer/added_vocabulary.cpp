// Added-token matching, after tokenizers' tokenizer/added_vocabulary.rs (find_matches).
#include "engine/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/unicode_text.h"

namespace ssa {

void AddedVocabulary::Trie::insert(std::string_view pattern, int64_t id) {
  if (pattern.empty()) return;
  first[static_cast<unsigned char>(pattern[0])] = true;
  int32_t node = 0;
  for (unsigned char b : pattern) {
    int32_t child = -1;
    for (const auto& [byte, to] : nodes[node].edges)
      if (byte == b) child = to;
    if (child < 0) {
      child = static_cast<int32_t>(nodes.size());
      nodes[node].edges.emplace_back(b, child);
      nodes.emplace_back();
    }
    node = child;
  }
  if (nodes[node].id < 0) nodes[node].id = id;
}

size_t AddedVocabulary::Trie::longest(std::string_view text, size_t pos, int64_t* id) const {
  size_t best = 0;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    int32_t child = -1;
    for (const auto& [byte, to] : nodes[node].edges)
      if (byte == b) child = to;
    if (child < 0) break;
    node = child;
    if (nodes[node].id >= 0) {
      best = i + 1 - pos;
      *id = nodes[node].id;
    }
  }
  return best;
}

std::vector<int64_t> AddedVocabulary::add(const std::vector<AddedToken>& tokens,
                                          const BpeModel& model, const Normalizer& normalizer) {
  const auto model_size = static_cast<int64_t>(model.entry_count());
  int64_t next_id = model_size;
  if (!by_id_.empty()) {
    int64_t max = -1;
    for (const auto& [id, token] : by_id_) max = std::max(max, id);
    next_id = (max >= model_size || model_size == 0) ? max + 1 : model_size;
  }
  std::vector<int64_t> ids;
  for (const AddedToken& token : tokens) {
    if (token.content.empty()) {
      ids.push_back(-1);
      continue;
    }
    if (auto known = by_content_.find(token.content); known != by_content_.end()) {
      const AddedToken& old = by_id_.at(known->second);
      if (old.single_word == token.single_word && old.lstrip == token.lstrip &&
          old.rstrip == token.rstrip && old.normalized == token.normalized &&
          old.special == token.special) {
        ids.push_back(known->second);
        continue;
      }
    }
    int64_t id;
    if (auto known = token_to_id(token.content))
      id = *known;
    else if (auto in_model = model.token_to_id(token.content))
      id = *in_model;
    else
      id = next_id++;
    if (token.normalized && !normalizer.empty()) {
      std::string storage;
      const std::string_view form = normalizer.apply(token.content, storage);
      if (form != token.content) normalized_form_[id] = std::string(form);
    }
    by_content_[token.content] = id;
    if (token.special) special_.insert(token.content);
    by_id_[id] = token;
    ids.push_back(id);
  }
  rebuild();
  return ids;
}

void AddedVocabulary::rebuild() {
  raw_trie_ = Trie();
  normalized_trie_ = Trie();
  // Ascending ids, so that a pattern shared by two ids resolves the same way every time.
  std::vector<int64_t> ids;
  for (const auto& [id, token] : by_id_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) {
    const AddedToken& token = by_id_.at(id);
    if (token.normalized) {
      auto form = normalized_form_.find(id);
      normalized_trie_.insert(form == normalized_form_.end() ? token.content : form->second, id);
    } else {
      raw_trie_.insert(token.content, id);
    }
  }
}

void AddedVocabulary::split(std::string_view text, bool normalized_set,
                            std::vector<Split>& out) const {
  out.clear();
  if (text.empty()) return;
  const Trie& trie = normalized_set ? normalized_trie_ : raw_trie_;
  if (trie.nodes.size() == 1) {  // no token in this set
    out.push_back({0, text.size(), -1});
    return;
  }
  size_t start_offset = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!trie.first[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    int64_t id = -1;
    const size_t length = trie.longest(text, pos, &id);
    if (length == 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + length;
    pos = stop;  // matches never overlap, even a discarded one
    const AddedToken& token = by_id_.at(id);
    if (token.single_word) {
      size_t len;
      const bool word_before =
          start > 0 && unicode::is_word_char(unicode::decode_before(text, start, &len));
      const bool word_after =
          stop < text.size() && unicode::is_word_char(unicode::decode_at(text, stop, &len));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      // The whitespace run that ends at the match, but not what an earlier match took.
      size_t new_start = start;
      while (new_start > 0) {
        size_t len;
        if (!unicode::is_white_space(unicode::decode_before(text, new_start, &len))) break;
        new_start -= len;
      }
      start = std::max(new_start, start_offset);
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t len;
        if (!unicode::is_white_space(unicode::decode_at(text, stop, &len))) break;
        stop += len;
      }
      // The search goes on from the end of the match itself, as the trie iterator does.
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, id});
    start_offset = stop;
  }
  if (start_offset != text.size()) out.push_back({start_offset, text.size(), -1});
}

std::optional<int64_t> AddedVocabulary::token_to_id(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const std::string* AddedVocabulary::decode_form(int64_t id) const {
  if (auto form = normalized_form_.find(id); form != normalized_form_.end()) return &form->second;
  if (auto token = by_id_.find(id); token != by_id_.end()) return &token->second.content;
  return nullptr;
}

bool AddedVocabulary::is_special_content(std::string_view content) const {
  return special_.count(std::string(content)) > 0;
}

int64_t AddedVocabulary::id_bound() const {
  int64_t bound = 0;
  for (const auto& [id, token] : by_id_) bound = std::max(bound, id + 1);
  return bound;
}

}  // namespace ssa
