#include "engine/trace/layout_trace.h"

namespace ssa::trace {

LayoutInfo describe_layout(const GistLayout& layout) {
  LayoutInfo info;
  info.settings_json = layout.settings().to_json();
  info.token_ids = layout.token_ids();
  info.roles = layout.roles();
  info.raw_index = layout.raw_indices();
  info.positions = layout.position_ids();
  info.prefix_length = layout.prefix_length();
  info.sink_length = layout.sink_length();
  const int levels = layout.num_levels();
  info.chunk_ids.reserve(layout.length());
  info.group_ids.reserve(layout.length() * (levels - 1));
  for (int64_t pos = 0; pos < layout.length(); ++pos) {
    info.chunk_ids.push_back(layout.chunk_id(pos));
    for (int level = 1; level < levels; ++level) info.group_ids.push_back(layout.id(pos, level));
  }
  return info;
}

MaskInfo describe_mask(const BlockMask& blocks) {
  MaskInfo info;
  info.block_size = blocks.block_size;
  info.previous_chunks = blocks.settings.previous_chunks;
  info.row_offsets = blocks.row_offsets;
  info.key_blocks = blocks.key_blocks;
  info.kinds.reserve(blocks.kinds.size());
  for (BlockKind kind : blocks.kinds) info.kinds.push_back(static_cast<uint8_t>(kind));
  return info;
}

}  // namespace ssa::trace
