// Random layout settings for property tests: 1-4 levels, sinks, p, odd lengths.
#pragma once

#include <random>
#include <vector>

#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"
#include "tests/engine/layout_names.h"

namespace ssa::testing {

struct RandomCase {
  LayoutSettings layout;
  MaskSettings mask;
  int64_t raw_tokens = 0;
};

inline RandomCase random_case(std::mt19937& rng, int64_t max_raw) {
  RandomCase c;
  c.layout.chunk = 1 + rng() % 12;
  const int levels = rng() % 4;
  for (int l = 0; l < levels; ++l) c.layout.group_sizes.push_back(2 + rng() % 4);
  c.layout.sink = rng() % 3 == 0 ? static_cast<int>(rng() % 10) : 0;
  c.mask.previous_chunks = rng() % 3 == 0 ? 0 : static_cast<int>(rng() % 3);
  c.raw_tokens = 1 + rng() % max_raw;
  return c;
}

// Word starts for a random text of n raw tokens: about one token in 1..6
// starts a word, so word-aware gists shift, stay and fall back.
inline std::vector<bool> random_word_starts(std::mt19937& rng, int64_t n) {
  const unsigned density = 1 + rng() % 6;
  std::vector<bool> starts(n);
  for (int64_t i = 0; i < n; ++i) starts[i] = i == 0 || rng() % density == 0;
  return starts;
}

}  // namespace ssa::testing
