// The block description agrees with the dense reference bit for bit, and its
// kinds say the truth about every block.
#include "engine/mask/block_mask.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "engine/mask/training_mask.h"
#include "tests/engine/random_layouts.h"

namespace ssa {
namespace {

using testing::iota_tokens;

// What each kind promises, checked on the cells of one block pair.
void expect_kind_is_true(const BlockMask& blocks, const GistLayout& layout, int64_t qb,
                         int64_t kb) {
  const MaskRuleView rule = mask_rule_view(layout, blocks.settings);
  const int64_t b = blocks.block_size;
  bool any = false, all = true, raw = false;
  for (int64_t q = qb * b; q < std::min(blocks.length, (qb + 1) * b); ++q) {
    for (int64_t k = kb * b; k < std::min(blocks.length, (kb + 1) * b); ++k) {
      const bool v = training_mask_allows(rule, q, k);
      any = any || v;
      all = all && v;
      raw = raw || (v && !layout.is_gist(k));
    }
  }
  const BlockKind kind = blocks.kind(qb, kb);
  const BlockKind expected = !any  ? BlockKind::kEmpty
                             : all ? BlockKind::kFull
                             : raw ? BlockKind::kMixed
                                   : BlockKind::kGistsOnly;
  EXPECT_EQ(static_cast<int>(kind), static_cast<int>(expected)) << "block " << qb << "," << kb;
}

TEST(BlockMask, ExpandsToTheDenseMaskOnRandomSettings) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 120; ++trial) {
    const auto c = testing::random_case(rng, 3500);
    GistLayout layout(c.layout, iota_tokens(c.raw_tokens));
    if (layout.length() > 4096) continue;
    const int block_size = trial % 2 ? 64 : 128;
    SCOPED_TRACE(c.layout.to_json() + " p=" + std::to_string(c.mask.previous_chunks) +
                 " n=" + std::to_string(c.raw_tokens) + " B=" + std::to_string(block_size));
    const BlockMask blocks = build_block_mask(layout, c.mask, block_size);
    std::vector<uint8_t> dense(layout.length() * layout.length());
    fill_dense_training_mask(layout, c.mask, dense.data());
    ASSERT_EQ(expand_block_mask(blocks, layout), dense);
    for (int64_t qb = 0; qb < blocks.num_blocks(); ++qb) {
      for (int64_t kb = 0; kb < blocks.num_blocks(); kb += 1 + trial % 3) {
        expect_kind_is_true(blocks, layout, qb, kb);
      }
    }
  }
}

// The three formulations of the mask -- dense reference, per-pair rule,
// block description -- agree bit for bit where the literal rule 2 matters
// most: three and four levels at p = 0, word-aware chunks, sinks longer than
// the text.
TEST(BlockMask, ThreeFormulationsAgreeOnDeepHierarchies) {
  std::mt19937 rng(23);
  for (int trial = 0; trial < 160; ++trial) {
    LayoutSettings s;
    s.chunk = 1 + rng() % 6;
    const int levels = 3 + rng() % 2;
    for (int l = 1; l < levels; ++l) s.group_sizes.push_back(2 + rng() % 3);
    s.sink = rng() % 4 == 0 ? static_cast<int>(rng() % 12) : 0;
    s.word_aware = trial % 2 == 1;
    const MaskSettings mask{trial % 4 == 0 ? 1 : 0};
    const int64_t n = 1 + rng() % 600;
    const std::vector<bool> starts = testing::random_word_starts(rng, n);
    GistLayout layout(s, iota_tokens(n), starts);
    for (int i = 0, suffix = rng() % 5; i < suffix; ++i) layout.append(65);
    const int block_size = trial % 3 ? 64 : 128;
    SCOPED_TRACE(s.to_json() + " p=" + std::to_string(mask.previous_chunks) +
                 " n=" + std::to_string(n) + " B=" + std::to_string(block_size));
    const int64_t length = layout.length();
    std::vector<uint8_t> dense(length * length);
    fill_dense_training_mask(layout, mask, dense.data());
    const MaskRuleView rule = mask_rule_view(layout, mask);
    for (int64_t q = 0; q < length; ++q)
      for (int64_t k = 0; k < length; ++k)
        ASSERT_EQ(training_mask_allows(rule, q, k), dense[q * length + k] == 1) << q << "," << k;
    const BlockMask blocks = build_block_mask(layout, mask, block_size);
    ASSERT_EQ(expand_block_mask(blocks, layout), dense);
    for (int64_t qb = 0; qb < blocks.num_blocks(); ++qb)
      for (int64_t kb = 0; kb <= qb; ++kb) expect_kind_is_true(blocks, layout, qb, kb);
  }
}

TEST(BlockMask, SpecExampleIsOnePartialBlock) {
  LayoutSettings s;
  s.chunk = 3;
  GistLayout layout(s, iota_tokens(8));
  const BlockMask blocks = build_block_mask(layout, {0}, 64);
  ASSERT_EQ(blocks.num_blocks(), 1);
  ASSERT_EQ(blocks.key_blocks.size(), 1u);
  EXPECT_EQ(blocks.kinds[0], BlockKind::kMixed);
}

TEST(BlockMask, LongContextBlocksAreTruthful) {
  // 131072 stream positions of chunk4-chunk4 with a sink and p = 1: too long
  // for a dense mask, so sampled blocks are checked cell by cell.
  LayoutSettings s = parse_hierarchy("chunk4-chunk4");
  s.sink = 3;
  const int64_t raw = 131072 * 16 / 21;
  GistLayout layout(s, iota_tokens(raw));
  const BlockMask blocks = build_block_mask(layout, {1}, 128);
  EXPECT_EQ(blocks.num_blocks(), (layout.length() + 127) / 128);
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) {
    const int64_t qb = rng() % blocks.num_blocks();
    expect_kind_is_true(blocks, layout, qb, rng() % (qb + 1));
    expect_kind_is_true(blocks, layout, qb, qb);
  }
}

TEST(BlockMask, RejectsOtherBlockSizes) {
  LayoutSettings s;
  GistLayout layout(s, iota_tokens(10));
  EXPECT_THROW(build_block_mask(layout, {0}, 32), std::invalid_argument);
}

}  // namespace
}  // namespace ssa
