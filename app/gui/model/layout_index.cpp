// LayoutIndex (see layout_index.h).
#include "app/gui/model/layout_index.h"

#include <algorithm>
#include <cstdio>

namespace ssa::gui {
namespace {

constexpr int kMaxLevels = 16;  // far above any hierarchy a model uses

// One readable string per byte-level token; multi-byte UTF-8 pieces pass through.
void append_printable(std::string& out, const std::string& piece) {
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
}

std::string count_line(int64_t n, const char* what) {
  return std::to_string(n) + (n == 1 ? " position " : " positions ") + what;
}

const std::vector<Span> kNoSpans;

}  // namespace

std::string LayoutIndex::gist_label(int level) {
  return level == 0 ? "<G>" : "<M" + std::to_string(level) + ">";
}

std::string LayoutIndex::role_name(int role) {
  if (role <= 0) return "raw";
  if (role == 1) return "gist";
  return "meta-gist L" + std::to_string(role - 1);
}

LayoutIndex::LayoutIndex(const sessions::Layout& layout, int previous_chunks) {
  const int64_t n = layout.length();
  if (n > 0 && layout.group_ids.size() % static_cast<size_t>(n) != 0)
    anomalies_.push_back("layout: group ids are not a whole number per position (ignored)");
  num_levels_ = std::clamp(layout.num_levels(), 1, kMaxLevels);
  prefix_length_ = std::clamp<int64_t>(layout.prefix_length, 0, n);
  sink_length_ = std::clamp<int64_t>(layout.sink_length, 0, prefix_length_);
  if (prefix_length_ != layout.prefix_length || sink_length_ != layout.sink_length)
    anomalies_.push_back("layout: prefix or sink length outside the stream (clamped)");
  token_ids_ = layout.token_ids;
  roles_.resize(static_cast<size_t>(n), 0);
  read_roles(layout);
  derive_ids(layout);
  build_text(layout);
  build_spans();

  rule_.roles = roles_.data();
  rule_.ids = ids_.data();
  rule_.num_levels = num_levels_;
  rule_.sink_length = sink_length_;
  rule_.previous_chunks = std::max(0, previous_chunks);
  rule_.has_gists = has_gists();
}

void LayoutIndex::read_roles(const sessions::Layout& layout) {
  const int64_t n = length();
  // Roles: anything but 0..levels counts as a raw token.
  int64_t bad_roles = 0;
  for (int64_t pos = 0; pos < n; ++pos) {
    const int r = pos < static_cast<int64_t>(layout.roles.size()) ? layout.roles[pos] : 0;
    if (r < 0 || r > num_levels_ || (r > 0 && pos < sink_length_)) {
      ++bad_roles;
      continue;
    }
    roles_[pos] = static_cast<int8_t>(r);
  }
  if (bad_roles > 0)
    anomalies_.push_back("layout: " +
                         count_line(bad_roles, "with an impossible role, shown as raw"));
}

void LayoutIndex::derive_ids(const sessions::Layout& layout) {
  const int64_t n = length();
  // Ids and raw indices from the roles; then compared with the recorded ones.
  ids_.resize(static_cast<size_t>(n) * num_levels_);
  raw_before_.resize(static_cast<size_t>(n));
  std::vector<int32_t> seen(num_levels_, 0);
  int64_t raw = 0, id_mismatch = 0, raw_mismatch = 0;
  const bool recorded_groups =
      n > 0 && layout.group_ids.size() == static_cast<size_t>(n) * (num_levels_ - 1);
  for (int64_t pos = 0; pos < n; ++pos) {
    for (int level = 0; level < num_levels_; ++level) ids_[pos * num_levels_ + level] = seen[level];
    raw_before_[pos] = raw;
    const bool chunk_ok =
        pos < static_cast<int64_t>(layout.chunk_ids.size()) && layout.chunk_ids[pos] == seen[0];
    bool groups_ok = true;
    if (recorded_groups)
      for (int level = 1; level < num_levels_; ++level)
        groups_ok &= layout.group_ids[pos * (num_levels_ - 1) + level - 1] == seen[level];
    id_mismatch += !(chunk_ok && groups_ok);
    const int64_t recorded_raw =
        pos < static_cast<int64_t>(layout.raw_index.size()) ? layout.raw_index[pos] : -2;
    raw_mismatch += recorded_raw != (roles_[pos] == 0 ? raw : -1);
    if (roles_[pos] > 0) {
      ++seen[roles_[pos] - 1];
    } else {
      ++raw;
    }
  }
  raw_count_ = raw;
  if (id_mismatch > 0)
    anomalies_.push_back("layout: " + count_line(id_mismatch,
                                                 "whose chunk or group id disagrees with the gists "
                                                 "before it (ids derived from the gists)"));
  if (raw_mismatch > 0)
    anomalies_.push_back("layout: " +
                         count_line(raw_mismatch, "with a wrong raw-token index (derived)"));
}

void LayoutIndex::build_text(const sessions::Layout& layout) {
  const int64_t n = length();
  // Text, in one buffer.
  text_offsets_.reserve(static_cast<size_t>(n) + 1);
  text_offsets_.push_back(0);
  for (int64_t pos = 0; pos < n; ++pos) {
    if (roles_[pos] > 0) {
      text_bytes_ += gist_label(roles_[pos] - 1);
    } else if (pos < static_cast<int64_t>(layout.pieces.size())) {
      append_printable(text_bytes_, layout.pieces[pos]);
    } else if (token_ids_[pos] >= 0 && token_ids_[pos] < 256) {
      append_printable(text_bytes_, std::string(1, static_cast<char>(token_ids_[pos])));
    } else {
      text_bytes_ += "<" + std::to_string(token_ids_[pos]) + ">";
    }
    text_offsets_.push_back(static_cast<uint32_t>(text_bytes_.size()));
  }
}

void LayoutIndex::build_spans() {
  const int64_t n = length();
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
  for (const Span& span : spans_[0]) {
    int64_t first = -1, count = 0;
    for (int64_t p = span.begin; p < span.gist; ++p) {
      if (roles_[p] != 0) continue;
      if (first < 0) first = raw_before_[p];
      ++count;
    }
    chunk_raw_first_.push_back(first < 0 ? raw_before_[span.gist] : first);
    chunk_raw_count_.push_back(count);
  }
}

std::string_view LayoutIndex::text(int64_t pos) const {
  if (!contains(pos)) return {};
  return std::string_view(text_bytes_)
      .substr(text_offsets_[pos], text_offsets_[pos + 1] - text_offsets_[pos]);
}

std::string LayoutIndex::text_of(int64_t begin, int64_t end) const {
  begin = std::clamp<int64_t>(begin, 0, length());
  end = std::clamp<int64_t>(end, begin, length());
  return text_bytes_.substr(text_offsets_[begin], text_offsets_[end] - text_offsets_[begin]);
}

const std::vector<Span>& LayoutIndex::spans(int level) const {
  return valid_level(level) && level < static_cast<int>(spans_.size()) ? spans_[level] : kNoSpans;
}

int32_t LayoutIndex::span_of(int64_t pos, int level) const {
  if (!contains(pos) || pos < sink_length_ || !valid_level(level)) return -1;
  if (roles_[pos] - 1 > level) return -1;  // a meta-gist is in no lower-level span
  const int32_t i = id(pos, level);
  if (i < 0 || i >= static_cast<int32_t>(spans_[level].size())) return -1;  // suffix
  return i;
}

std::pair<int32_t, int32_t> LayoutIndex::children(int level, int32_t group) const {
  if (level < 1 || !valid_level(level) || group < 0 ||
      group >= static_cast<int32_t>(spans_[level].size()))
    return {0, -1};
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

std::pair<int64_t, int64_t> LayoutIndex::raw_range(int32_t chunk) const {
  if (!valid_chunk(chunk)) return {0, -1};
  return {chunk_raw_first_[chunk], chunk_raw_first_[chunk] + chunk_raw_count_[chunk] - 1};
}

int32_t LayoutIndex::chunk_of_raw(int64_t raw) const {
  auto it = std::upper_bound(chunk_raw_first_.begin(), chunk_raw_first_.end(), raw);
  if (it == chunk_raw_first_.begin()) return -1;
  const auto chunk = static_cast<int32_t>(it - chunk_raw_first_.begin() - 1);
  return raw < chunk_raw_first_[chunk] + chunk_raw_count_[chunk] ? chunk : -1;
}

}  // namespace ssa::gui
