// Block-by-block attention of the prefix == attention under the dense training
// mask, on random layouts (1-4 levels, sinks, p) and both block sizes.
#include "engine/decode/block_sparse_prefill.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <random>

#include "engine/mask/training_mask.h"
#include "engine/model/masked_attention.h"
#include "tests/engine/random_layouts.h"

namespace ssa {
namespace {

TEST(BlockSparsePrefill, EqualsAttentionUnderTheDenseMaskOnRandomLayouts) {
  std::mt19937 rng(41);
  for (int trial = 0; trial < 24; ++trial) {
    const testing::RandomCase c = testing::random_case(rng, 700);
    const GistLayout layout(c.layout, testing::iota_tokens(c.raw_tokens));
    const int64_t length = layout.length();
    const int block = trial % 2 ? 64 : 128;
    at::manual_seed(trial);
    const at::Tensor q = at::randn({1, 4, length, 8}, at::kDouble);
    const at::Tensor k = at::randn({1, 2, length, 8}, at::kDouble);
    const at::Tensor v = at::randn({1, 2, length, 8}, at::kDouble);
    const at::Tensor expected = masked_attention(q, k, v, dense_training_mask(layout, c.mask));
    const BlockMask blocks = build_block_mask(layout, c.mask, block);
    const at::Tensor got =
        block_sparse_attention(q, k, v, plan_block_sparse(layout, blocks, length, at::kCPU));
    EXPECT_LT((got - expected).abs().max().item<double>(), 1e-12)
        << c.layout.hierarchy_name() << " sink " << c.layout.sink << " p " << c.mask.previous_chunks
        << " raw " << c.raw_tokens << " block " << block;
    // Only the first rows (a prefix) may be asked for.
    const int64_t rows = length / 2 + 1;
    const at::Tensor part =
        block_sparse_attention(q.narrow(2, 0, rows), k.narrow(2, 0, rows), v.narrow(2, 0, rows),
                               plan_block_sparse(layout, blocks, rows, at::kCPU));
    EXPECT_LT((part - expected.narrow(2, 0, rows)).abs().max().item<double>(), 1e-12);
  }
}

}  // namespace
}  // namespace ssa
