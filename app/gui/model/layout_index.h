// LayoutIndex: what the views need to know about a recorded token stream,
// derived once when a run is opened: where every chunk and group begins and
// ends, the gists of every level in order, the ids in the mask rule's layout,
// and a printable text for every position.
#pragma once

#include <cstdint>
#include <string>
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

  int64_t length() const { return static_cast<int64_t>(roles_.size()); }
  int num_levels() const { return num_levels_; }
  int top_level() const { return num_levels_ - 1; }
  int64_t prefix_length() const { return prefix_length_; }
  int64_t sink_length() const { return sink_length_; }
  bool has_gists() const { return !spans_.empty() && !spans_[0].empty(); }

  int role(int64_t pos) const { return roles_[pos]; }
  int level(int64_t pos) const { return roles_[pos] - 1; }  // -1 raw
  int32_t id(int64_t pos, int level) const { return ids_[pos * num_levels_ + level]; }
  int64_t token_id(int64_t pos) const { return token_ids_[pos]; }
  // Printable text of a position: the recorded piece, else the byte, else a
  // gist marker ("<G>", "<M1>", ...). Control characters are escaped.
  const std::string& text(int64_t pos) const { return text_[pos]; }
  static std::string gist_label(int level);
  // "raw", "gist", "meta-gist L1", ...
  static std::string role_name(int role);

  // Chunks (level 0) or groups (level k) of the prefix, by id.
  const std::vector<Span>& spans(int level) const { return spans_[level]; }
  int64_t num_chunks() const { return static_cast<int64_t>(spans_[0].size()); }
  // Id at `level` of the span that contains stream position pos, or -1 (sink,
  // suffix, or a gist of a higher level, which summarises spans but is in none).
  int32_t span_of(int64_t pos, int level) const;
  // Index among the level's gists of the gist at `pos` (== its id), -1 if not a gist.
  int32_t gist_index(int64_t pos) const { return roles_[pos] > 0 ? id(pos, level(pos)) : -1; }
  // Level-(l-1) ids [first, last] of the children of level-l group g.
  std::pair<int32_t, int32_t> children(int level, int32_t group) const;

  // The spec's per-pair training-mask predicate over this layout.
  bool mask_allows(int64_t query, int64_t key) const {
    return training_mask_allows(rule_, query, key);
  }
  int previous_chunks() const { return rule_.previous_chunks; }

 private:
  int num_levels_ = 1;
  int64_t prefix_length_ = 0, sink_length_ = 0;
  std::vector<int8_t> roles_;
  std::vector<int32_t> ids_;  // [L][num_levels]
  std::vector<int64_t> token_ids_;
  std::vector<std::string> text_;
  std::vector<std::vector<Span>> spans_;  // [level][id]
  MaskRuleView rule_;
};

}  // namespace ssa::gui
