// Random queries, keys and values over a gist layout, and loop computations
// of attention to check the selective-attention paths against.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/layout/gist_layout.h"
#include "tests/engine/layout_names.h"

namespace ssa {
namespace testing {

struct Case {
  GistLayout layout;
  at::Tensor q, keys, values;
  int64_t query;
};

inline Case make_case(LayoutSettings settings, int64_t raw, int suffix, int64_t heads,
                      int64_t kv_heads, uint64_t seed) {
  GistLayout layout(settings, iota_tokens(raw));
  for (int i = 0; i < suffix; ++i) layout.append(300 + i);
  at::manual_seed(seed);
  const int64_t d = 8, length = layout.length();
  Case c{layout, at::randn({heads, d}, at::kDouble), at::randn({kv_heads, length, d}, at::kDouble),
         at::randn({kv_heads, length, d}, at::kDouble), length - 1};
  return c;
}

// Softmax attention by loops over the given key positions.
inline std::vector<double> loop_attention(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v,
                                          const std::vector<int64_t>& visible) {
  const int64_t d = q.size(0);
  std::vector<double> logits;
  double best = -1e300;
  for (int64_t pos : visible) {
    double s = 0;
    for (int64_t i = 0; i < d; ++i) s += q[i].item<double>() * k[pos][i].item<double>();
    logits.push_back(s / std::sqrt(static_cast<double>(d)));
    best = std::max(best, logits.back());
  }
  double total = 0;
  for (double& l : logits) total += (l = std::exp(l - best));
  std::vector<double> out(d, 0.0);
  for (size_t j = 0; j < visible.size(); ++j) {
    for (int64_t i = 0; i < d; ++i) out[i] += logits[j] / total * v[visible[j]][i].item<double>();
  }
  return out;
}

inline double loop_dot(const at::Tensor& a, const at::Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.size(0); ++i) s += a[i].item<double>() * b[i].item<double>();
  return s;
}

inline void expect_rows_near(const at::Tensor& output, int64_t head,
                             const std::vector<double>& expected) {
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(output[head][i].item<double>(), expected[i], 1e-10)
        << "head " << head << " dim " << i;
  }
}

}  // namespace testing
}  // namespace ssa
