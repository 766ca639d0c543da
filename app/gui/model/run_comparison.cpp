// Raw-token comparison of two runs (see run_comparison.h).
#include "app/gui/model/run_comparison.h"

#include <algorithm>

namespace ssa::gui {

RawRanges raw_ranges_of(const LayoutIndex& index, const std::vector<int32_t>& chunks) {
  RawRanges ranges;
  for (int32_t c : chunks) {
    const auto [first, last] = index.raw_range(c);
    if (first <= last) ranges.emplace_back(first, last);
  }
  std::sort(ranges.begin(), ranges.end());
  RawRanges merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  return merged;
}

int64_t raw_length(const RawRanges& ranges) {
  int64_t n = 0;
  for (const auto& [a, b] : ranges) n += b - a + 1;
  return n;
}

RawRanges intersect(const RawRanges& a, const RawRanges& b) {
  RawRanges out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first);
    const int64_t hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) out.emplace_back(lo, hi);
    if (a[i].second < b[j].second)
      ++i;
    else
      ++j;
  }
  return out;
}

RawOverlap raw_overlap(const RawRanges& a, const RawRanges& b) {
  RawOverlap o;
  o.both = raw_length(intersect(a, b));
  o.only_a = raw_length(a) - o.both;
  o.only_b = raw_length(b) - o.both;
  return o;
}

}  // namespace ssa::gui
