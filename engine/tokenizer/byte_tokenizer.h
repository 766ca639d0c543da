// ByteTokenizer: the shipped models' vocabulary. Ids 0..255 are bytes, then
// BOS, EOS, PAD, then one gist id per hierarchy level: level 0 (the gist) is
// 259 = LayoutSettings::gist_token_base, level k (meta-gist) is 259 + k.
// Any byte string round-trips exactly; special ids decode to readable marks.
// Text is read byte by byte: marks such as "<G>" written in text stay bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace ssa {

class ByteTokenizer : public Tokenizer {
 public:
  static constexpr int64_t kBos = 256;
  static constexpr int64_t kEos = 257;
  static constexpr int64_t kPad = 258;
  static constexpr int64_t kGistBase = 259;  // == LayoutSettings{}.gist_token_base

  // `num_levels` gist levels (1 for SSA, 2+ for H-SSA).
  explicit ByteTokenizer(int num_levels = 1);

  int num_levels() const { return num_levels_; }
  int64_t gist_id(int level) const { return kGistBase + level; }
  bool is_gist(int64_t id) const { return id >= kGistBase && id < kGistBase + num_levels_; }
  // Gist level of a gist id, -1 for anything else.
  int gist_level(int64_t id) const { return is_gist(id) ? static_cast<int>(id - kGistBase) : -1; }

  // The bytes of `text`; with add_special_tokens, BOS first.
  std::vector<int64_t> encode(std::string_view text, bool add_special_tokens) const override;
  using Tokenizer::encode;
  // Bytes as they are; BOS/EOS/PAD as <bos>/<eos>/<pad>, gists as <G>, <M1>, ...,
  // tokens added by add_special_tokens as their content. skip_special_tokens leaves out
  // every id from 256 on.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override;
  using Tokenizer::decode;
  std::string token_text(int64_t id) const override;

  // 256 + 3 + num_levels, plus any tokens added after the gists.
  int64_t vocab_size() const override;
  // A one-byte content is that byte; "<bos>", "<G>", "<M1>", ... and added contents are
  // their ids.
  std::optional<int64_t> token_id(std::string_view content) const override;
  bool is_special(int64_t id) const override { return id >= kBos && id < vocab_size(); }
  std::optional<int64_t> bos_id() const override { return kBos; }
  std::optional<int64_t> eos_id() const override { return kEos; }
  std::optional<int64_t> pad_id() const override { return kPad; }
  // New contents go after the gists (the gists themselves are gist_id(level)).
  std::vector<int64_t> add_special_tokens(const std::vector<std::string>& contents) override;

 private:
  int num_levels_;
  std::vector<std::string> added_;  // contents of ids kGistBase + num_levels_ + i
};

}  // namespace ssa
