// Dense training mask, built row by row from the ranges each rule makes visible.
#include "engine/mask/training_mask.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <ATen/ATen.h>

namespace ssa {

MaskRuleView mask_rule_view(const GistLayout& layout, MaskSettings settings) {
  MaskRuleView view;
  view.roles = layout.roles().data();
  view.ids = layout.ids().data();
  view.num_levels = layout.num_levels();
  view.sink_length = layout.sink_length();
  view.previous_chunks = settings.previous_chunks;
  view.has_gists = layout.has_gists();
  return view;
}

namespace {

// Positions of the gists of each level, in stream order.
std::vector<std::vector<int64_t>> gist_positions(const GistLayout& layout) {
  std::vector<std::vector<int64_t>> positions(layout.num_levels());
  for (int64_t pos = 0; pos < layout.length(); ++pos) {
    if (layout.is_gist(pos)) positions[layout.level(pos)].push_back(pos);
  }
  return positions;
}

// First stream position whose id at `level` is >= value (ids never decrease).
int64_t first_position_with_id(const GistLayout& layout, int level, int64_t value) {
  int64_t lo = 0, hi = layout.length();
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (layout.id(mid, level) < value)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

}  // namespace

void fill_dense_training_mask(const GistLayout& layout, MaskSettings settings, uint8_t* out,
                              int64_t limit) {
  // Rows below `length` only see keys below them: a prefix of the stream has
  // the same mask whatever follows it.
  const int64_t length = limit < 0 ? layout.length() : std::min(limit, layout.length());
  const int top = layout.top_level();
  const int p = settings.previous_chunks;
  const auto gists = gist_positions(layout);
  std::fill(out, out + length * length, uint8_t{0});

  for (int64_t q = 0; q < length; ++q) {
    uint8_t* row = out + q * length;
    if (!layout.has_gists()) {  // rule 5
      std::fill(row, row + q + 1, uint8_t{1});
      continue;
    }
    std::fill(row, row + std::min(layout.sink_length(), q + 1), uint8_t{1});  // rule 4
    const int lq = layout.level(q);

    // Rule 2: every position of the own chunk and the p chunks before it
    // (chunk ids never decrease along the stream: one contiguous range).
    if (lq <= 0) {
      const int64_t first_chunk = std::max<int64_t>(0, layout.chunk_id(q) - p);
      const int64_t from = first_position_with_id(layout, 0, first_chunk);
      std::fill(row + from, row + q + 1, uint8_t{1});
    }
    // Rule 1: level-l gists after the last higher-level gist at or before q.
    int64_t after_higher = 0;  // first position past the last gist of a level > l
    for (int l = top; l >= 0; --l) {
      const auto& level_gists = gists[l];
      for (auto it = std::lower_bound(level_gists.begin(), level_gists.end(), after_higher);
           it != level_gists.end() && *it <= q; ++it) {
        row[*it] = 1;
      }
      // Gists of level l up to q now hide the levels below l.
      auto last = std::upper_bound(level_gists.begin(), level_gists.end(), q);
      if (last != level_gists.begin()) after_higher = std::max(after_higher, *std::prev(last) + 1);
    }
    // Rule 3: level-(i-1) gists of the own group (level-i query) and of the p
    // groups before it (queries of level <= i).
    for (int i = 1; i <= top; ++i) {
      if (lq > i) continue;
      const int64_t group = layout.id(q, i);
      const int64_t lo_group = p > 0 ? group - p : group;
      const int64_t hi_group = lq == i ? group : group - 1;
      const int64_t from_group = std::max<int64_t>(0, lo_group);
      if (from_group > hi_group) continue;
      const auto& lower = gists[i - 1];
      const int64_t start = first_position_with_id(layout, i, from_group);
      for (auto it = std::lower_bound(lower.begin(), lower.end(), start);
           it != lower.end() && *it <= q && layout.id(*it, i) <= hi_group; ++it) {
        row[*it] = 1;
      }
    }
  }
}

at::Tensor dense_training_mask(const GistLayout& layout, MaskSettings settings, int64_t limit) {
  const int64_t length = limit < 0 ? layout.length() : std::min(limit, layout.length());
  if (length > kMaxDenseMaskLength) {
    throw std::length_error("dense mask of stream length " + std::to_string(length) + " exceeds " +
                            std::to_string(kMaxDenseMaskLength) + "; use the block description");
  }
  at::Tensor mask = at::empty({length, length}, at::kBool);
  fill_dense_training_mask(layout, settings, reinterpret_cast<uint8_t*>(mask.data_ptr<bool>()),
                           length);
  return mask;
}

}  // namespace ssa
