// GistLayout: the interleaved token stream the model sees (ssa-spec.md, "Layout").
//
// Raw tokens are cut into chunks of `chunk` tokens (counted from the end of the
// attention sink; word-aware placement may lengthen a chunk by up to c/2
// tokens to end it at a word start); a gist closes every chunk, a level-i
// meta-gist closes every `group_sizes[i-1]` gists of level i-1, and the stream
// of the compressed document always ends with one gist of every level, lowest
// first, even when the text is no longer than the sink. Tokens appended
// afterwards (prompt suffix, generated tokens) form the suffix.
//
// For every stream position the layout knows its role, its chunk id and group
// id at every level, the raw token it came from and its RoPE position id.
// Pure C++: no LibTorch, so kernels, recordings and tools can use it cheaply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa {

// Role of a stream position, as stored in roles.npy and recordings:
// 0 raw, 1 gist (level 0), k+1 meta-gist of level k.
using Role = int8_t;
constexpr Role kRawRole = 0;
inline constexpr Role gist_role(int level) {
  return static_cast<Role>(level + 1);
}
// Gist level of a role: -1 for raw tokens.
inline constexpr int role_level(Role role) {
  return role - 1;
}

// RoPE position ids of a stream (ssa-spec.md, "Position ids"): kRaw, the
// reference's, does not let gists advance positions (stream index minus the
// gists at or before it); kStream uses stream indices, for models trained
// under the spec's earlier reading (config.json `ssa.position_ids`).
enum class PositionScheme { kRaw, kStream };
// "raw" or "stream"; throws std::invalid_argument otherwise.
PositionScheme parse_position_scheme(const std::string& name);
const char* position_scheme_name(PositionScheme scheme);

struct LayoutSettings {
  int chunk = 8;                     // c: raw tokens per level-0 gist
  std::vector<int> group_sizes;      // c1, c2, ...: gists of level i-1 per level-i gist (H-SSA)
  int sink = 0;                      // s raw tokens without gists; < 0: the dynamic sink
  bool word_aware = false;           // let a gist move up to c/2 tokens later to end a word
  bool gists_in_generation = false;  // insert gists every c appended (generated) tokens
  int64_t gist_token_base = 259;     // token id of the level-0 gist; level k uses base + k
  PositionScheme positions = PositionScheme::kRaw;  // RoPE position ids (see above)

  int num_levels() const { return 1 + static_cast<int>(group_sizes.size()); }
  int top_level() const { return static_cast<int>(group_sizes.size()); }
  // Throws std::invalid_argument with a one-line reason if a value is unusable.
  void validate() const;
  // "chunk8", "chunk4-chunk4", ...: the reference's hierarchy names.
  std::string hierarchy_name() const;
  std::string to_json() const;
};

// Parses "chunk4-chunk4" (any number of levels) into chunk and group sizes.
// Throws std::invalid_argument on anything else.
LayoutSettings parse_hierarchy(const std::string& name);

class GistLayout {
 public:
  // Lays out `raw_tokens` as the compressed document. `word_starts`, when
  // given (same length; engine/layout/word_starts.h makes it from decoded
  // token texts), marks raw tokens that begin a word; it is used only with
  // settings.word_aware, and without it every token starts a word.
  // `compress_from` (dynamic sink only, sink < 0): raw tokens before it get no
  // gists; the sink is then every position before (first gist - chunk).
  GistLayout(LayoutSettings settings, const std::vector<int64_t>& raw_tokens,
             const std::vector<bool>& word_starts = {}, int64_t compress_from = 0);

  // Appends one suffix token (prompt suffix or generated); returns its stream
  // index. With gists_in_generation, once begin_generation() was called, gists
  // (and meta-gists where a group completes) follow every `chunk` generated tokens.
  int64_t append(int64_t raw_token);
  // Marks the end of the prompt: later appends are generated tokens.
  void begin_generation();

  const LayoutSettings& settings() const { return settings_; }
  int64_t length() const { return static_cast<int64_t>(token_ids_.size()); }
  int64_t num_raw() const { return static_cast<int64_t>(raw_to_stream_.size()); }
  int num_levels() const { return settings_.num_levels(); }
  int top_level() const { return settings_.top_level(); }
  bool has_gists() const { return num_gists_[0] > 0; }

  // Per stream position.
  int64_t token_id(int64_t pos) const { return token_ids_[pos]; }
  Role role(int64_t pos) const { return roles_[pos]; }
  int level(int64_t pos) const { return role_level(roles_[pos]); }  // -1 raw
  bool is_gist(int64_t pos) const { return roles_[pos] != kRawRole; }
  // Level-0 chunk id (level 0) or level-i group id: the number of gists of
  // that level strictly before pos; a gist carries the id of what it closes.
  int32_t id(int64_t pos, int level) const { return ids_[pos * num_levels() + level]; }
  int32_t chunk_id(int64_t pos) const { return id(pos, 0); }
  int64_t raw_index(int64_t pos) const { return raw_index_[pos]; }  // -1 for gists
  // RoPE position id under settings().positions (kRaw: pos - gists in [0, pos]).
  int64_t position_id(int64_t pos) const { return position_ids_[pos]; }

  // Raw <-> stream.
  int64_t stream_index(int64_t raw) const { return raw_to_stream_[raw]; }

  // Spec, "Inference": prefix = stream up to and including the last top-level
  // gist; suffix = everything after. Sink = the first sink_length() positions:
  // the first s stream positions (fewer while the stream is shorter), as the
  // reference's mask counts them, so text shorter than s has gists in it.
  int64_t prefix_length() const { return prefix_length_; }
  int64_t sink_length() const { return sink_length_; }
  int64_t num_gists(int level) const { return num_gists_[level]; }

  // Whole arrays, for masks, recordings and .npy output.
  const std::vector<int64_t>& token_ids() const { return token_ids_; }
  const std::vector<Role>& roles() const { return roles_; }
  const std::vector<int32_t>& ids() const { return ids_; }  // [L][num_levels]
  const std::vector<int64_t>& raw_indices() const { return raw_index_; }
  const std::vector<int64_t>& position_ids() const { return position_ids_; }

 private:
  void push_position(bool gist);
  void push_raw(int64_t token, int64_t raw);
  void push_gist(int level);
  void close_levels_after_gist(int level, bool final_close);

  LayoutSettings settings_;
  std::vector<int64_t> token_ids_;
  std::vector<Role> roles_;
  std::vector<int32_t> ids_;
  std::vector<int64_t> raw_index_;
  std::vector<int64_t> raw_to_stream_;
  std::vector<int64_t> position_ids_;
  std::vector<int64_t> num_gists_;  // per level, so far
  std::vector<int64_t> pending_;    // per level: items since that level's last gist
  int64_t prefix_length_ = 0;
  int64_t sink_length_ = 0;
  int64_t suffix_raw_since_gist_ = 0;
  bool generating_ = false;
};

}  // namespace ssa
