// Block description of the training mask.
//
// Per query block [q0, q1], key blocks fall in three regions:
//  - near: from the first chunk a level-0 row of the block may see by rule 2
//    (its chunk minus p: every position with that chunk id or a later one,
//    meta-gists included) to the diagonal, and blocks touching the sink: these
//    can be full, mixed or partial, and are classified cell by cell (they are
//    few: about (p + 1) * c / B + 2 per query block);
//  - far: everything between the sink and the near region. There only gists
//    can be visible (rule 2 and the sink do not reach it), so a far block is
//    kGistsOnly exactly when one of its gists is visible to some row of the
//    block, and empty otherwise. That is decided from per-level gist counts:
//    the union over rows of rule 1's visible range at level l is
//    [after the last higher gist at or before q0, q1], and rule 3 adds the
//    level-(i-1) gists of a contiguous range of level-i groups.
#include "engine/mask/block_mask.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/mask/training_mask.h"

namespace ssa {

BlockKind BlockMask::kind(int64_t query_block, int64_t key_block) const {
  const auto begin = key_blocks.begin() + row_offsets[query_block];
  const auto end = key_blocks.begin() + row_offsets[query_block + 1];
  const auto it = std::lower_bound(begin, end, static_cast<int32_t>(key_block));
  if (it == end || *it != key_block) return BlockKind::kEmpty;
  return kinds[it - key_blocks.begin()];
}

namespace {

struct LevelIndex {
  std::vector<std::vector<int64_t>> gist_positions;  // per level, stream order
  std::vector<std::vector<int32_t>> gists_before;    // per level, prefix counts [L + 1]
  std::vector<int32_t> raw_before;                   // prefix count of raw tokens [L + 1]
  std::vector<int64_t> chunk_first;                  // first position of each chunk id

  int64_t gists_in(int level, int64_t lo, int64_t hi) const {  // level gists in [lo, hi)
    if (lo >= hi) return 0;
    return gists_before[level][hi] - gists_before[level][lo];
  }
};

LevelIndex index_levels(const GistLayout& layout) {
  const int64_t length = layout.length();
  LevelIndex index;
  index.gist_positions.resize(layout.num_levels());
  index.gists_before.assign(layout.num_levels(), std::vector<int32_t>(length + 1, 0));
  index.raw_before.assign(length + 1, 0);
  for (int64_t pos = 0; pos < length; ++pos) {
    const int level = layout.level(pos);
    for (int l = 0; l < layout.num_levels(); ++l) {
      index.gists_before[l][pos + 1] = index.gists_before[l][pos] + (level == l ? 1 : 0);
    }
    index.raw_before[pos + 1] = index.raw_before[pos] + (level < 0 ? 1 : 0);
    if (level >= 0) index.gist_positions[level].push_back(pos);
    const int64_t chunk = layout.chunk_id(pos);
    while (static_cast<int64_t>(index.chunk_first.size()) <= chunk)
      index.chunk_first.push_back(pos);
  }
  return index;
}

// Cell-by-cell classification of one block pair (the near region).
BlockKind classify_cells(const MaskRuleView& rule, const GistLayout& layout, int64_t q0, int64_t q1,
                         int64_t k0, int64_t k1) {
  int64_t visible = 0;
  bool raw_visible = false, hidden = false;
  for (int64_t q = q0; q <= q1; ++q) {
    for (int64_t k = k0; k < k1; ++k) {
      if (training_mask_allows(rule, q, k)) {
        ++visible;
        raw_visible = raw_visible || !layout.is_gist(k);
      } else {
        hidden = true;
      }
      // Mixed is settled as soon as both outcomes and a visible raw key occurred.
      if (hidden && raw_visible) return BlockKind::kMixed;
    }
  }
  if (visible == 0) return BlockKind::kEmpty;
  if (!hidden) return BlockKind::kFull;
  return raw_visible ? BlockKind::kMixed : BlockKind::kGistsOnly;
}

}  // namespace

BlockMask build_block_mask(const GistLayout& layout, MaskSettings settings, int block_size) {
  if (block_size != 64 && block_size != 128) {
    throw std::invalid_argument("block size must be 64 or 128, got " + std::to_string(block_size));
  }
  BlockMask blocks;
  blocks.length = layout.length();
  blocks.block_size = block_size;
  blocks.settings = settings;
  const int64_t num_blocks = blocks.num_blocks();
  blocks.row_offsets.reserve(num_blocks + 1);
  blocks.row_offsets.push_back(0);
  if (blocks.length == 0) return blocks;

  const MaskRuleView rule = mask_rule_view(layout, settings);
  const LevelIndex index = index_levels(layout);
  const int top = layout.top_level();
  const int p = settings.previous_chunks;
  const int64_t sink = layout.has_gists() ? layout.sink_length() : 0;
  const int64_t first_far_block = (sink + block_size - 1) / block_size;

  auto add = [&](int64_t key_block, BlockKind kind) {
    if (kind == BlockKind::kEmpty) return;
    blocks.key_blocks.push_back(static_cast<int32_t>(key_block));
    blocks.kinds.push_back(kind);
  };

  for (int64_t qb = 0; qb < num_blocks; ++qb) {
    const int64_t q0 = qb * block_size;
    const int64_t q1 = std::min(blocks.length, q0 + block_size) - 1;

    // Without gists the mask is causal: every block below the diagonal is full.
    int64_t near_start = q0;
    if (layout.has_gists()) {
      for (int64_t q = q0; q <= q1; ++q) {  // first level-0 row has the smallest chunk
        if (layout.level(q) <= 0) {
          const int64_t chunk = std::max<int64_t>(0, layout.chunk_id(q) - p);
          near_start = std::min(near_start, index.chunk_first[chunk]);
          break;
        }
      }
    }
    const int64_t first_near_block = near_start / block_size;

    // Far-region visibility, as position ranges per level (see the file comment).
    std::vector<int64_t> rule1_from(top + 1, 0);
    std::vector<std::pair<int64_t, int64_t>> rule3_range(top + 1, {0, 0});  // level-(i-1) gists
    if (layout.has_gists()) {
      const int lq0 = layout.level(q0);
      for (int l = 0; l <= top; ++l) {
        int64_t after = 0;
        for (int m = l + 1; m <= top; ++m) {
          const int64_t seen = layout.id(q0, m) + (lq0 == m ? 1 : 0);  // level-m gists <= q0
          if (seen > 0) after = std::max(after, index.gist_positions[m][seen - 1] + 1);
        }
        rule1_from[l] = after;
      }
      for (int i = 1; i <= top; ++i) {
        int64_t lo_group = -1, hi_group = -2;
        for (int64_t q = q0; q <= q1; ++q) {
          const int lq = layout.level(q);
          if (lq > i) continue;
          const int64_t g = layout.id(q, i);
          const int64_t lo = p > 0 ? g - p : g;
          const int64_t hi = lq == i ? g : g - 1;
          if (lo > hi) continue;
          lo_group = lo_group < 0 ? lo : std::min(lo_group, lo);
          hi_group = std::max(hi_group, hi);
        }
        lo_group = std::max<int64_t>(0, lo_group);
        if (lo_group > hi_group) continue;
        const auto& level_i = index.gist_positions[i];
        const int64_t from = lo_group == 0 ? 0 : level_i[lo_group - 1] + 1;
        const int64_t to =
            hi_group < static_cast<int64_t>(level_i.size()) ? level_i[hi_group] : blocks.length;
        rule3_range[i] = {from, to};
      }
    }

    for (int64_t kb = 0; kb <= qb; ++kb) {
      const int64_t k0 = kb * block_size;
      const int64_t k1 = std::min(blocks.length, k0 + block_size);
      const bool far = layout.has_gists() && kb >= first_far_block && kb < first_near_block;
      const bool all_gists = index.raw_before[k1] == index.raw_before[k0];
      if (!layout.has_gists() && kb < qb) {
        add(kb, BlockKind::kFull);
      } else if (!far || all_gists) {
        add(kb, classify_cells(rule, layout, q0, q1, k0, k1));
      } else {
        bool any = index.gists_in(top, k0, k1) > 0;
        for (int l = 0; l < top && !any; ++l) {
          any = index.gists_in(l, std::max(k0, rule1_from[l]), k1) > 0;
          const auto [from, to] = rule3_range[l + 1];
          any = any || index.gists_in(l, std::max(k0, from), std::min(k1, to)) > 0;
        }
        add(kb, any ? BlockKind::kGistsOnly : BlockKind::kEmpty);
      }
    }
    blocks.row_offsets.push_back(static_cast<int64_t>(blocks.key_blocks.size()));
  }
  return blocks;
}

std::vector<uint8_t> expand_block_mask(const BlockMask& blocks, const GistLayout& layout) {
  const int64_t length = blocks.length;
  if (length != layout.length())
    throw std::invalid_argument("block mask and layout differ in length");
  std::vector<uint8_t> dense(length * length, 0);
  const MaskRuleView rule = mask_rule_view(layout, blocks.settings);
  const int64_t b = blocks.block_size;
  for (int64_t qb = 0; qb < blocks.num_blocks(); ++qb) {
    for (int64_t e = blocks.row_offsets[qb]; e < blocks.row_offsets[qb + 1]; ++e) {
      const int64_t k0 = blocks.key_blocks[e] * b, k1 = std::min(length, k0 + b);
      for (int64_t q = qb * b; q < std::min(length, (qb + 1) * b); ++q) {
        for (int64_t k = k0; k < k1; ++k) {
          dense[q * length + k] =
              blocks.kinds[e] == BlockKind::kFull || training_mask_allows(rule, q, k);
        }
      }
    }
  }
  return dense;
}

}  // namespace ssa
