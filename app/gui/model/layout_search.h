// Search in a run's layout, as the search box reads the query:
//   "#123" or "pos 123"  a stream position
//   "chunk 352" or "c352"  a chunk
//   anything else        text (case-insensitive) in the prompt's raw tokens
// Text matches are the stream positions where a match begins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/gui/model/layout_index.h"

namespace ssa::gui {

struct SearchHit {
  int64_t position = -1;  // first stream position of the match
  int32_t chunk = -1;     // its chunk (-1: sink or suffix)
};

struct SearchResult {
  enum class Kind { kNone, kPosition, kChunk, kText } kind = Kind::kNone;
  std::vector<SearchHit> hits;  // ascending positions
  std::string error;            // why nothing matched, in words ("" when some did)
  bool truncated = false;       // more than `max_hits` text matches
};

SearchResult search_layout(const LayoutIndex& index, const std::string& query,
                           size_t max_hits = 10000);

}  // namespace ssa::gui
