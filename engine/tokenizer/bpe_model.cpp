// BPE encoding of one piece, after tokenizers' models/bpe/{model,word}.rs: the same symbol
// list, the same priority queue (lowest rank, then leftmost position) and the same check
// that a queued merge still applies, so that ids agree even where orders could differ.
#include "engine/tokenizer/bpe_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode_text.h"

namespace ssa {
namespace {

constexpr size_t kMaxCachedWord = 256;  // tokenizers' MAX_LENGTH
constexpr size_t kMaxCachedWords = 1 << 16;

std::optional<std::string> optional_string(const nlohmann::json& model, const char* key) {
  if (!model.contains(key) || model[key].is_null()) return std::nullopt;
  if (!model[key].is_string())
    throw TokenizerError(std::string("model.") + key + " must be a string");
  return model[key].get<std::string>();
}

bool flag(const nlohmann::json& model, const char* key) {
  if (!model.contains(key) || model[key].is_null()) return false;
  if (!model[key].is_boolean())
    throw TokenizerError(std::string("model.") + key + " must be true or false");
  return model[key].get<bool>();
}

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace

BpeModel BpeModel::from_json(const nlohmann::json& model) {
  if (!model.is_object()) throw TokenizerError("\"model\" must be an object");
  std::string type = model.contains("type") && model["type"].is_string()
                         ? model["type"].get<std::string>()
                     : model.contains("merges") ? "BPE"
                                                : "unknown";
  if (type != "BPE")
    throw TokenizerError(
        "model type " + in_quotes(type) +
        " is not supported (only BPE: byte-level BPE as in GPT-2, Llama 3, Qwen2)");

  BpeModel m;
  static std::atomic<uint64_t> next_instance{1};
  m.instance_ = next_instance++;
  if (model.contains("dropout") && model["dropout"].is_number() &&
      model["dropout"].get<double>() > 0)
    throw TokenizerError("model.dropout: BPE dropout is not supported (it makes encoding random)");
  m.unk_token_ = optional_string(model, "unk_token");
  m.prefix_ = optional_string(model, "continuing_subword_prefix").value_or("");
  m.suffix_ = optional_string(model, "end_of_word_suffix").value_or("");
  m.fuse_unk_ = flag(model, "fuse_unk");
  m.byte_fallback_ = flag(model, "byte_fallback");
  m.ignore_merges_ = flag(model, "ignore_merges");

  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw TokenizerError("model.vocab must be an object of token -> id");
  const auto& vocab = model["vocab"];
  m.vocab_.reserve(vocab.size());
  int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX)
      throw TokenizerError("model.vocab: the id of " + in_quotes(it.key()) + " is not an id");
    const auto id = static_cast<int32_t>(it.value().get<int64_t>());
    m.vocab_[it.key()] = id;
    max_id = std::max<int64_t>(max_id, id);
  }
  m.vocab_r_.assign(static_cast<size_t>(max_id + 1), std::string());
  m.has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [token, id] : m.vocab_) {
    m.vocab_r_[id] = token;
    m.has_id_[id] = true;
  }

  // Byte-level tables.
  m.all_bytes_ = true;
  for (int b = 0; b < 256; ++b) {
    auto it = m.vocab_.find(byte_level::char_of(static_cast<unsigned char>(b)));
    m.byte_ids_[b] = it == m.vocab_.end() ? -1 : it->second;
    if (it == m.vocab_.end()) m.all_bytes_ = false;
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto fb = m.vocab_.find(name);
    m.fallback_ids_[b] = fb == m.vocab_.end() ? -1 : fb->second;
  }
  if (m.ignore_merges_)
    for (const auto& [token, id] : m.vocab_)
      if (auto bytes = byte_level::to_bytes(token)) m.byte_vocab_.emplace(std::move(*bytes), id);

  // Merges: [a, b] pairs or legacy "a b" lines; rank = position in the list.
  if (!model.contains("merges") || !model["merges"].is_array())
    throw TokenizerError("model.merges must be a list");
  const auto& merges = model["merges"];
  m.merges_ = MergeTable(merges.size());
  uint32_t rank = 0;
  std::string merged;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& entry = merges[i];
    std::string left, right;
    if (entry.is_string()) {
      const std::string& line = entry.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
        throw TokenizerError("model.merges[" + std::to_string(i) + "] " + in_quotes(line) +
                             " is not two tokens separated by one space");
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      left = entry[0].get<std::string>();
      right = entry[1].get<std::string>();
    } else {
      throw TokenizerError("model.merges[" + std::to_string(i) + "] is neither \"a b\" nor [a, b]");
    }
    auto find = [&](const std::string& token) {
      auto it = m.vocab_.find(token);
      if (it == m.vocab_.end())
        throw TokenizerError("model.merges[" + std::to_string(i) + "] names " + in_quotes(token) +
                             ", which is not in the vocabulary");
      return it->second;
    };
    const int32_t a = find(left), b = find(right);
    merged = left;
    merged.append(right, std::min(m.prefix_.size(), right.size()), std::string::npos);
    m.merges_.insert(a, b, rank++, find(merged));
  }
  return m;
}

std::optional<int64_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int64_t id) const {
  if (id < 0 || id >= id_bound() || !has_id_[id]) return nullptr;
  return &vocab_r_[id];
}

BpeModel::Scratch& BpeModel::Scratch::of(const BpeModel& model) {
  // A few models per thread (tests alternate between tokenizers); a new one evicts in turn.
  struct Slot {
    uint64_t instance = 0;
    Scratch scratch;
  };
  thread_local std::array<Slot, 4> slots;
  thread_local size_t next = 0;
  for (Slot& s : slots)
    if (s.instance == model.instance()) return s.scratch;
  Slot& s = slots[next++ % slots.size()];
  s.instance = model.instance();
  s.scratch = Scratch();
  return s.scratch;
}

void BpeModel::tokenize(std::string_view piece, bool byte_level, Scratch& s,
                        std::vector<int64_t>& out) const {
  if (piece.empty()) return;
  s.key.assign(piece.data(), piece.size());
  if (ignore_merges_) {
    const auto& whole = byte_level ? byte_vocab_ : vocab_;
    if (auto it = whole.find(s.key); it != whole.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (auto hit = s.cache.find(s.key); hit != s.cache.end()) {
    const auto [offset, count] = hit->second;
    out.insert(out.end(), s.cached_ids.begin() + offset, s.cached_ids.begin() + offset + count);
    return;
  }

  if (byte_level && all_bytes_ && prefix_.empty() && suffix_.empty()) {
    // Every byte is a symbol of its own: no strings, no lookups by content.
    s.symbols.resize(piece.size());
    for (size_t i = 0; i < piece.size(); ++i)
      s.symbols[i] = {byte_ids_[static_cast<unsigned char>(piece[i])], int32_t(i) - 1,
                      int32_t(i) + 1, 1};
    s.symbols.back().next = -1;
  } else if (byte_level) {
    s.text = byte_level::from_bytes(piece);
    merge_word_general(s.text, s);
  } else {
    merge_word_general(piece, s);
  }
  merge_all(s);

  const size_t first = out.size();
  for (const Symbol& sym : s.symbols)
    if (sym.len != 0) out.push_back(sym.id);
  if (piece.size() < kMaxCachedWord) {
    if (s.cache.size() >= kMaxCachedWords) {
      s.cache.clear();
      s.cached_ids.clear();
    }
    const auto offset = static_cast<uint32_t>(s.cached_ids.size());
    for (size_t i = first; i < out.size(); ++i)
      s.cached_ids.push_back(static_cast<int32_t>(out[i]));
    s.cache.emplace(s.key, std::make_pair(offset, static_cast<uint32_t>(out.size() - first)));
  }
}

// BPE::merge_word: one symbol per character, with prefix/suffix, byte fallback and unk.
void BpeModel::merge_word_general(std::string_view word, Scratch& s) const {
  s.symbols.clear();
  auto add = [&](int32_t id, size_t len) {
    const auto index = static_cast<int32_t>(s.symbols.size());
    if (!s.symbols.empty()) s.symbols.back().next = index;
    s.symbols.push_back({id, index - 1, -1, static_cast<uint32_t>(len)});
  };
  // A pending unk symbol (fuse_unk grows it over consecutive unknown characters).
  bool has_unk = false;
  int32_t unk = 0;
  size_t unk_len = 0;
  auto unk_id = [&]() -> int32_t {
    auto it = vocab_.find(*unk_token_);
    if (it == vocab_.end())
      throw TokenizerError("model.unk_token " + in_quotes(*unk_token_) +
                           " is not in the vocabulary");
    return it->second;
  };
  std::string symbol;
  for (size_t i = 0; i < word.size();) {
    const size_t len = unicode::sequence_length(static_cast<unsigned char>(word[i]));
    const bool is_first = i == 0, is_last = i + len >= word.size();
    symbol.clear();
    if (!is_first) symbol += prefix_;
    symbol.append(word.data() + i, len);
    if (is_last) symbol += suffix_;
    i += len;

    if (auto it = vocab_.find(symbol); it != vocab_.end()) {
      if (has_unk) add(unk, unk_len);
      has_unk = false;
      add(it->second, len);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char b : symbol) all = all && fallback_ids_[b] >= 0;
      if (all) {
        // As tokenizers: a pending unk is not flushed first.
        for (unsigned char b : symbol) add(fallback_ids_[b], 1);
        continue;
      }
    }
    if (unk_token_) {
      if (has_unk && fuse_unk_) {
        unk_len += len;
      } else {
        if (has_unk) add(unk, unk_len);
        has_unk = true;
        unk = unk_id();
        unk_len = len;
      }
    }
  }
  if (has_unk) add(unk, unk_len);
}

// Word::merge_all without dropout.
void BpeModel::merge_all(Scratch& s) const {
  auto& sym = s.symbols;
  auto& queue = s.queue;
  // Heap order: the top is the lowest rank, then the lowest position.
  auto later = [](const Scratch::Merge& a, const Scratch::Merge& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  queue.clear();
  for (size_t i = 0; i + 1 < sym.size(); ++i)
    if (const auto* m = merges_.find(sym[i].id, sym[i + 1].id))
      queue.push_back({m->rank, static_cast<uint32_t>(i), m->merged});
  std::make_heap(queue.begin(), queue.end(), later);

  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), later);
    const Scratch::Merge top = queue.back();
    queue.pop_back();
    Symbol& current = sym[top.pos];
    if (current.len == 0 || current.next == -1) continue;
    const size_t next_pos = static_cast<size_t>(current.next);
    const Symbol right = sym[next_pos];
    const auto* rule = merges_.find(current.id, right.id);
    if (rule == nullptr || rule->merged != top.merged) continue;

    current.id = top.merged;
    current.len += right.len;
    current.next = right.next;
    sym[next_pos].len = 0;
    if (right.next > -1 && static_cast<size_t>(right.next) < sym.size())
      sym[right.next].prev = static_cast<int32_t>(top.pos);

    if (current.prev >= 0) {
      if (const auto* m = merges_.find(sym[current.prev].id, current.id)) {
        queue.push_back({m->rank, static_cast<uint32_t>(current.prev), m->merged});
        std::push_heap(queue.begin(), queue.end(), later);
      }
    }
    if (current.next >= 0 && static_cast<size_t>(current.next) < sym.size()) {
      if (const auto* m = merges_.find(current.id, sym[current.next].id)) {
        queue.push_back({m->rank, top.pos, m->merged});
        std::push_heap(queue.begin(), queue.end(), later);
      }
    }
  }
}

}  // namespace ssa
