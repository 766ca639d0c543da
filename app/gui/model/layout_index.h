// LayoutIndex: what the views need to know about a recorded token stream,
// derived once when a run's layout is loaded: where every chunk and group
// begins and ends, the gists of every level in order, the ids in the mask
// rule's layout, the raw-token index of every position, and a printable text
// for every position.
//
// A recording is untrusted input. The index never indexes with a recorded
// number: roles outside 0..levels count as raw tokens, and the chunk / group
// ids and raw indices are derived from the roles (the count of gists of each
// level before a position, as engine/layout/gist_layout.cpp assigns them).
// Where the recorded values disagree, anomalies() says so in one line each;
// every accessor taking a position or an id checks it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/mask/mask_rule.h"
#include "sessions/records.h"

namespace ssa::gui {

// A chunk (level 0) or group (level >= 1) of the compressed document.
struct Span {
  int64_t begin = 0;  // first stream position it covers
  int64_t gist = 0;   // stream position of the gist that closes it (its last position)
};

class LayoutIndex {
 public:
  LayoutIndex() = default;
  // `previous_chunks`: p of the spec's rule 2, from the recorded mask.
  LayoutIndex(const sessions::Layout& layout, int previous_chunks);
  // The mask rule points into the arrays: copies would dangle, moves keep them.
  LayoutIndex(const LayoutIndex&) = delete;
  LayoutIndex& operator=(const LayoutIndex&) = delete;
  LayoutIndex(LayoutIndex&&) = default;
  LayoutIndex& operator=(LayoutIndex&&) = default;

  int64_t length() const { return static_cast<int64_t>(roles_.size()); }
  bool contains(int64_t pos) const { return pos >= 0 && pos < length(); }
  int num_levels() const { return num_levels_; }
  int top_level() const { return num_levels_ - 1; }
  bool valid_level(int level) const { return level >= 0 && level < num_levels_; }
  int64_t prefix_length() const { return prefix_length_; }
  int64_t sink_length() const { return sink_length_; }
  bool has_gists() const { return !spans_.empty() && !spans_[0].empty(); }

  // 0 raw, 1 gist, k+1 meta-gist of level k; 0 outside the stream.
  int role(int64_t pos) const { return contains(pos) ? roles_[pos] : 0; }
  int level(int64_t pos) const { return role(pos) - 1; }  // -1 raw
  // Chunk id (level 0) or level-k group id: the count of that level's gists before pos.
  int32_t id(int64_t pos, int level) const {
    return contains(pos) && valid_level(level) ? ids_[pos * num_levels_ + level] : -1;
  }
  int64_t token_id(int64_t pos) const { return contains(pos) ? token_ids_[pos] : -1; }
  // Raw-token index of a position (its count of raw positions before it); -1 for gists.
  int64_t raw_index(int64_t pos) const {
    return contains(pos) && roles_[pos] == 0 ? raw_before_[pos] : -1;
  }
  int64_t raw_count() const { return raw_count_; }
  // Printable text of a position: the recorded piece, else the byte, else a
  // gist marker ("<G>", "<M1>", ...). Control characters are escaped.
  std::string_view text(int64_t pos) const;
  // The text of positions [begin, end) concatenated (gists as markers).
  std::string text_of(int64_t begin, int64_t end) const;
  static std::string gist_label(int level);
  // "raw", "gist", "meta-gist L1", ...
  static std::string role_name(int role);

  // Chunks (level 0) or groups (level k) of the prefix, by id; empty for a bad level.
  const std::vector<Span>& spans(int level) const;
  int64_t num_chunks() const { return spans_.empty() ? 0 : static_cast<int64_t>(spans_[0].size()); }
  bool valid_chunk(int64_t chunk) const { return chunk >= 0 && chunk < num_chunks(); }
  // Id at `level` of the span that contains stream position pos, or -1 (sink,
  // suffix, or a gist of a higher level, which summarises spans but is in none).
  int32_t span_of(int64_t pos, int level) const;
  // Whether `pos` is a gist of `level` (a scored candidate must be one).
  bool is_gist_of(int64_t pos, int level) const { return contains(pos) && role(pos) == level + 1; }
  // Level-(l-1) ids [first, last] of the children of level-l group g ({0, -1} when none).
  std::pair<int32_t, int32_t> children(int level, int32_t group) const;
  // Raw-token indices [first, last] of a chunk's raw tokens ({0, -1} for a bad id):
  // runs with different layouts compare on this axis.
  std::pair<int64_t, int64_t> raw_range(int32_t chunk) const;
  // The chunk holding raw token `raw`, -1 when none (sink, suffix).
  int32_t chunk_of_raw(int64_t raw) const;

  // The spec's per-pair training-mask predicate over this layout.
  bool mask_allows(int64_t query, int64_t key) const {
    return contains(query) && contains(key) && training_mask_allows(rule_, query, key);
  }
  int previous_chunks() const { return rule_.previous_chunks; }

  // Where the recording disagreed with itself, one line each (empty when sound).
  const std::vector<std::string>& anomalies() const { return anomalies_; }

 private:
  // The constructor's steps, in order.
  void read_roles(const sessions::Layout& layout);  // impossible roles count as raw
  void derive_ids(
      const sessions::Layout& layout);  // ids and raw indices, checked against the record
  void build_text(const sessions::Layout& layout);
  void build_spans();

  int num_levels_ = 1;
  int64_t prefix_length_ = 0, sink_length_ = 0, raw_count_ = 0;
  std::vector<int8_t> roles_;
  std::vector<int32_t> ids_;  // [L][num_levels]
  std::vector<int64_t> token_ids_;
  std::vector<int64_t> raw_before_;
  std::string text_bytes_;                // every position's text, concatenated
  std::vector<uint32_t> text_offsets_;    // L + 1 offsets into text_bytes_
  std::vector<std::vector<Span>> spans_;  // [level][id]
  std::vector<int64_t> chunk_raw_first_;  // [chunk]: raw index of its first raw token
  std::vector<int64_t> chunk_raw_count_;  // [chunk]: its raw tokens
  std::vector<std::string> anomalies_;
  MaskRuleView rule_;
};

}  // namespace ssa::gui
