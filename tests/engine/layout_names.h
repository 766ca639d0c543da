// Renders a layout in the spec's notation ("r0 r1 G r2 ... M1 M2") for tests.
#pragma once

#include <string>

#include "engine/layout/gist_layout.h"

namespace ssa::testing {

inline std::string spec_notation(const GistLayout& layout) {
  std::string out;
  for (int64_t pos = 0; pos < layout.length(); ++pos) {
    if (!out.empty()) out += ' ';
    const int level = layout.level(pos);
    if (level < 0) {
      out += "r" + std::to_string(layout.raw_index(pos));
    } else {
      out += level == 0 ? "G" : "M" + std::to_string(level);
    }
  }
  return out;
}

inline std::vector<int64_t> iota_tokens(int64_t n) {
  std::vector<int64_t> tokens(n);
  for (int64_t i = 0; i < n; ++i) tokens[i] = i % 256;
  return tokens;
}

}  // namespace ssa::testing
