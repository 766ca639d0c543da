// BpeModel: tokenizer.json's "model" of type BPE. It turns one pre-tokenized piece into ids
// exactly as tokenizers' BPE::tokenize does: characters (or, for byte-level tokenizers,
// bytes) become symbols, unknown ones go through byte fallback (<0xXX>) or the unk token,
// then merges are applied lowest rank first with the same priority queue, and with
// ignore_merges a piece that is itself in the vocabulary is taken whole.
//
// Merges are read in both formats ("a b" strings and [a, b] pairs); a merge naming a token
// that is not in the vocabulary is a TokenizerError. Results are cached per thread (words
// under 256 bytes), so a long text pays the merge loop once per distinct word.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/merge_table.h"

namespace ssa {

class BpeModel {
 public:
  // Per-thread working memory of encode(): reuse it across pieces (see BpeTokenizer).
  struct Scratch;

  // Refuses other model types in one line naming them (WordPiece, Unigram, WordLevel, ...).
  static BpeModel from_json(const nlohmann::json& model);

  // Appends the ids of `piece` to `out`. With `byte_level`, `piece` holds raw bytes and each
  // byte is read as its byte-level character (so the vocabulary strings are matched against
  // byte_level::from_bytes(piece)).
  void tokenize(std::string_view piece, bool byte_level, Scratch& scratch,
                std::vector<int64_t>& out) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;
  // The vocabulary string of `id`, or nullptr when no entry has that id.
  const std::string* id_to_token(int64_t id) const;
  // Number of vocabulary entries (what tokenizers calls the model's vocab size).
  size_t entry_count() const { return vocab_.size(); }
  // One more than the highest id.
  int64_t id_bound() const { return static_cast<int64_t>(vocab_r_.size()); }

  // A process-wide unique number for per-thread caches.
  uint64_t instance() const { return instance_; }

 private:
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    uint32_t len;  // bytes of the piece it covers; 0 once merged into its left neighbour
  };
  void merge_word_general(std::string_view word, Scratch& scratch) const;
  void merge_all(Scratch& scratch) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> vocab_r_;
  std::vector<bool> has_id_;
  MergeTable merges_;
  // Byte-level fast path: the id of each byte's character, and the raw bytes of every
  // vocabulary string made only of byte-level characters (for ignore_merges).
  std::array<int32_t, 256> byte_ids_{};
  bool all_bytes_ = false;
  std::unordered_map<std::string, int32_t> byte_vocab_;
  // Byte fallback: the ids of <0x00>..<0xFF> (-1 when missing).
  std::array<int32_t, 256> fallback_ids_{};
  std::optional<std::string> unk_token_;
  std::string prefix_, suffix_;  // continuing_subword_prefix, end_of_word_suffix
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  uint64_t instance_ = 0;
};

// Word cache and merge queue, one per thread and model (see BpeModel::tokenize).
struct BpeModel::Scratch {
  struct Merge {
    uint32_t rank;
    uint32_t pos;
    int32_t merged;
  };
  std::vector<Symbol> symbols;
  std::vector<Merge> queue;
  std::string key;
  std::string text;  // byte-level characters of a piece, for the general path
  // Cached words: piece bytes -> [offset, offset + count) in cached_ids.
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>> cache;
  std::vector<int32_t> cached_ids;

  // This thread's scratch for `model`.
  static Scratch& of(const BpeModel& model);
};

}  // namespace ssa
