// Two runs side by side. Runs may have different layouts (chunk 4 against
// chunk 8, SSA against H-SSA): chunk ids then mean different text, so what
// two runs unfolded is compared on the document's raw tokens, the one axis
// every layout of the same prompt shares.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "app/gui/model/layout_index.h"

namespace ssa::gui {

// Sorted, disjoint, inclusive ranges of raw-token indices.
using RawRanges = std::vector<std::pair<int64_t, int64_t>>;
// The raw tokens of the given chunks.
RawRanges raw_ranges_of(const LayoutIndex& index, const std::vector<int32_t>& chunks);
int64_t raw_length(const RawRanges& ranges);
RawRanges intersect(const RawRanges& a, const RawRanges& b);

// Raw tokens unfolded by both runs, by one only, and their Jaccard index.
struct RawOverlap {
  int64_t both = 0, only_a = 0, only_b = 0;
  double jaccard() const {  // 1 when neither unfolded anything
    const int64_t either = both + only_a + only_b;
    return either == 0 ? 1.0 : static_cast<double>(both) / static_cast<double>(either);
  }
};
RawOverlap raw_overlap(const RawRanges& a, const RawRanges& b);

// Both runs at one step: the chunks each unfolded (any layer) and their raw tokens.
struct CompareStep {
  int64_t step = -1;
  std::vector<int32_t> chunks_a, chunks_b;
  RawRanges raw_a, raw_b;
  RawOverlap overlap;
};

// Per common step, the raw-token Jaccard index of what both runs unfolded.
struct CompareSeries {
  std::vector<int64_t> steps;
  std::vector<float> jaccard;
  size_t total = 0;  // steps to compute; steps.size() < total while aggregating
};

}  // namespace ssa::gui
