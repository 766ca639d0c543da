// Record checks: see record_checks.h.
#include "sessions/record_checks.h"

#include <stdexcept>
#include <string>

namespace ssa::sessions {
namespace {
void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}
}  // namespace

void validate_layout(const Layout& l) {
  size_t n = l.token_ids.size();
  require(l.roles.size() == n, "layout: roles must have one entry per position");
  require(l.chunk_ids.size() == n, "layout: chunk_ids must have one entry per position");
  require(l.raw_index.size() == n, "layout: raw_index must have one entry per position");
  require(l.positions.size() == n, "layout: positions must have one entry per position");
  require(l.pieces.empty() || l.pieces.size() == n,
          "layout: pieces must be empty or one per position");
  require(n == 0 ? l.group_ids.empty() : l.group_ids.size() % n == 0,
          "layout: group_ids must hold (levels - 1) ids per position");
  for (int8_t r : l.roles) require(r >= 0, "layout: negative role");
  // Ids index per-chunk tables (the unfold index): they must lie in the stream.
  for (int32_t id : l.chunk_ids)
    require(id >= 0 && size_t(id) <= n, "layout: chunk id out of range");
  for (int32_t id : l.group_ids)
    require(id >= 0 && size_t(id) <= n, "layout: group id out of range");
  require(l.prefix_length >= 0 && l.prefix_length <= int64_t(n),
          "layout: prefix_length outside the stream");
  require(l.sink_length >= 0 && l.sink_length <= int64_t(n),
          "layout: sink_length outside the stream");
}

void validate_mask(const BlockMask& m) {
  require(m.block_size > 0, "mask: block_size must be positive");
  require(m.kinds.size() == m.key_blocks.size(), "mask: one kind per key block entry");
  if (m.row_offsets.empty()) {
    require(m.key_blocks.empty(), "mask: entries without row_offsets");
    return;
  }
  require(m.row_offsets.front() == 0 && size_t(m.row_offsets.back()) == m.key_blocks.size(),
          "mask: row_offsets must start at 0 and end at the entry count");
  for (size_t i = 1; i < m.row_offsets.size(); ++i) {
    require(m.row_offsets[i] >= m.row_offsets[i - 1], "mask: row_offsets decrease");
  }
}

}  // namespace ssa::sessions
