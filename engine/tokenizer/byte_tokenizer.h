// ByteTokenizer: the shipped models' vocabulary. Ids 0..255 are bytes, then
// BOS, EOS, PAD, then one gist id per hierarchy level: level 0 (the gist) is
// 259 = LayoutSettings::gist_token_base, level k (meta-gist) is 259 + k.
// Any UTF-8 text round-trips exactly; special ids decode to readable marks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssa {

class ByteTokenizer {
 public:
  static constexpr int64_t kBos = 256;
  static constexpr int64_t kEos = 257;
  static constexpr int64_t kPad = 258;
  static constexpr int64_t kGistBase = 259;  // == LayoutSettings{}.gist_token_base

  // `num_levels` gist levels (1 for SSA, 2+ for H-SSA).
  explicit ByteTokenizer(int num_levels = 1);

  int num_levels() const { return num_levels_; }
  int64_t vocab_size() const { return kGistBase + num_levels_; }
  int64_t gist_id(int level) const { return kGistBase + level; }
  bool is_gist(int64_t id) const { return id >= kGistBase && id < vocab_size(); }
  // Gist level of a gist id, -1 for anything else.
  int gist_level(int64_t id) const { return is_gist(id) ? static_cast<int>(id - kGistBase) : -1; }

  std::vector<int64_t> encode(std::string_view text) const;
  // Bytes as they are; BOS/EOS/PAD as <bos>/<eos>/<pad>, gists as <G>, <M1>, ...
  std::string decode(const std::vector<int64_t>& ids) const;
  std::string token_text(int64_t id) const;

 private:
  int num_levels_;
};

}  // namespace ssa
