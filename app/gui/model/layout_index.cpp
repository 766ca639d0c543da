// LayoutIndex (see layout_index.h).
#include "app/gui/model/layout_index.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace ssa::gui {
namespace {

// One readable string per byte-level token; multi-byte UTF-8 pieces pass through.
std::string printable(const std::string& piece) {
  std::string out;
  for (unsigned char ch : piece) {
    if (ch == '\n') {
      out += "\xE2\x86\xB5";  // U+21B5, a visible line break
    } else if (ch == '\t') {
      out += "\xE2\x86\x92";  // U+2192
    } else if (ch < 0x20 || ch == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", ch);
      out += buffer;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

}  // namespace

std::string LayoutIndex::gist_label(int level) {
  return level == 0 ? "<G>" : "<M" + std::to_string(level) + ">";
}

std::string LayoutIndex::role_name(int role) {
  if (role <= 0) return "raw";
  if (role == 1) return "gist";
  return "meta-gist L" + std::to_string(role - 1);
}

LayoutIndex::LayoutIndex(const sessions::Layout& layout, int previous_chunks)
    : num_levels_(layout.num_levels()),
      prefix_length_(layout.prefix_length),
      sink_length_(layout.sink_length),
      roles_(layout.roles),
      token_ids_(layout.token_ids) {
  const int64_t n = layout.length();
  ids_.resize(static_cast<size_t>(n) * num_levels_);
  for (int64_t pos = 0; pos < n; ++pos)
    for (int level = 0; level < num_levels_; ++level)
      ids_[pos * num_levels_ + level] = layout.id(pos, level);

  text_.resize(n);
  for (int64_t pos = 0; pos < n; ++pos) {
    if (roles_[pos] > 0) {
      text_[pos] = gist_label(roles_[pos] - 1);
    } else if (pos < static_cast<int64_t>(layout.pieces.size())) {
      text_[pos] = printable(layout.pieces[pos]);
    } else if (token_ids_[pos] >= 0 && token_ids_[pos] < 256) {
      text_[pos] = printable(std::string(1, static_cast<char>(token_ids_[pos])));
    } else {
      text_[pos] = "<" + std::to_string(token_ids_[pos]) + ">";
    }
  }

  // Spans: a gist of level l closes the span with its id; the span begins
  // right after the previous gist of that level (or after the sink).
  spans_.assign(num_levels_, {});
  std::vector<int64_t> next_begin(num_levels_, sink_length_);
  for (int64_t pos = 0; pos < n; ++pos) {
    const int level = roles_[pos] - 1;
    if (level < 0) continue;
    spans_[level].push_back({next_begin[level], pos});
    next_begin[level] = pos + 1;
    // A higher gist right after a lower span's end belongs to no lower span.
    for (int lower = 0; lower < level; ++lower)
      if (next_begin[lower] == pos) next_begin[lower] = pos + 1;
  }

  rule_.roles = roles_.data();
  rule_.ids = ids_.data();
  rule_.num_levels = num_levels_;
  rule_.sink_length = sink_length_;
  rule_.previous_chunks = previous_chunks;
  rule_.has_gists = has_gists();
}

int32_t LayoutIndex::span_of(int64_t pos, int level) const {
  if (pos < sink_length_ || pos < 0 || pos >= length()) return -1;
  if (roles_[pos] - 1 > level) return -1;  // a meta-gist is in no lower-level span
  const int32_t i = id(pos, level);
  if (i >= static_cast<int32_t>(spans_[level].size())) return -1;  // suffix
  return i;
}

std::pair<int32_t, int32_t> LayoutIndex::children(int level, int32_t group) const {
  assert(level >= 1 && level < num_levels_);
  const Span& span = spans_[level][group];
  // Children are the level-(l-1) gists inside the span, excluding the closing gist.
  const auto& lower = spans_[level - 1];
  auto first = std::lower_bound(lower.begin(), lower.end(), span.begin,
                                [](const Span& s, int64_t p) { return s.gist < p; });
  auto last = std::lower_bound(lower.begin(), lower.end(), span.gist,
                               [](const Span& s, int64_t p) { return s.gist < p; });
  return {static_cast<int32_t>(first - lower.begin()),
          static_cast<int32_t>(last - lower.begin()) - 1};
}

}  // namespace ssa::gui
