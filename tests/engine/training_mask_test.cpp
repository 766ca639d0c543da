// The dense training mask and the per-pair rule against the spec's worked
// examples, bit for bit, and against the spec's properties on random settings.
#include "engine/mask/training_mask.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "tests/engine/layout_names.h"
#include "tests/engine/random_layouts.h"
#include "tests/engine/worked_examples.h"

namespace ssa {
namespace {

using testing::iota_tokens;

std::vector<uint8_t> dense_bits(const GistLayout& layout, MaskSettings settings) {
  std::vector<uint8_t> bits(layout.length() * layout.length());
  fill_dense_training_mask(layout, settings, bits.data());
  return bits;
}

void expect_spec_matrix(const GistLayout& layout, MaskSettings settings, const char* spec) {
  const auto expected = testing::parse_spec_matrix(spec);
  const int64_t length = layout.length();
  ASSERT_EQ(static_cast<int64_t>(expected.size()), length);
  const auto dense = dense_bits(layout, settings);
  const MaskRuleView rule = mask_rule_view(layout, settings);
  for (int64_t q = 0; q < length; ++q) {
    ASSERT_EQ(static_cast<int64_t>(expected[q].size()), length);
    for (int64_t k = 0; k < length; ++k) {
      EXPECT_EQ(dense[q * length + k], expected[q][k]) << "dense, query " << q << " key " << k;
      EXPECT_EQ(training_mask_allows(rule, q, k), expected[q][k] == 1)
          << "rule, query " << q << " key " << k;
    }
  }
}

LayoutSettings settings_of(int chunk, std::vector<int> groups = {}, int sink = 0) {
  LayoutSettings s;
  s.chunk = chunk;
  s.group_sizes = std::move(groups);
  s.sink = sink;
  return s;
}

TEST(TrainingMask, SpecExampleOneLevel) {
  expect_spec_matrix(GistLayout(settings_of(3), iota_tokens(8)), {0}, testing::kOneLevelC3);
}

TEST(TrainingMask, SpecExampleTwoLevels) {
  expect_spec_matrix(GistLayout(settings_of(2, {2}), iota_tokens(8)), {0}, testing::kTwoLevelsC2);
}

TEST(TrainingMask, SpecExamplePreviousChunk) {
  expect_spec_matrix(GistLayout(settings_of(3), iota_tokens(9)), {1}, testing::kPreviousChunkC3);
}

TEST(TrainingMask, SpecExampleSink) {
  expect_spec_matrix(GistLayout(settings_of(3, {}, 2), iota_tokens(9)), {0}, testing::kSinkC3);
}

TEST(TrainingMask, NoGistsGivesTheCausalMask) {
  // Text shorter than a fixed sink still gets its final gists (spec); a
  // dynamic sink with nothing after it compresses nothing.
  GistLayout layout(settings_of(4, {}, -1), iota_tokens(7), {}, /*compress_from=*/7);
  ASSERT_FALSE(layout.has_gists());
  const auto dense = dense_bits(layout, {1});
  for (int64_t q = 0; q < 7; ++q) {
    for (int64_t k = 0; k < 7; ++k) EXPECT_EQ(dense[q * 7 + k], k <= q ? 1 : 0);
  }
}

// Rule 2 is literal (the reference's raw_l0_mask): a meta-gist carries the
// chunk id of the chunk after it, so that chunk's tokens see it even behind
// a higher gist. Three levels, p = 0:
//   r0 r1 G r2 r3 G M1 r4 r5 G r6 r7 G M1 M2 r8 r9 G M1 M2
//    0  1 2  3  4 5  6  7  8 9 10 11 12 13 14 15 16 17 18 19
TEST(TrainingMask, RuleTwoIncludesMetaGistsOfTheOwnChunk) {
  GistLayout layout(settings_of(2, {2, 2}), iota_tokens(10));
  ASSERT_EQ(testing::spec_notation(layout),
            "r0 r1 G r2 r3 G M1 r4 r5 G r6 r7 G M1 M2 r8 r9 G M1 M2");
  const auto dense = dense_bits(layout, {0});
  const MaskRuleView rule = mask_rule_view(layout, {0});
  const int64_t n = layout.length();
  auto visible = [&](int64_t q, int64_t k) {
    EXPECT_EQ(training_mask_allows(rule, q, k), dense[q * n + k] == 1) << q << "," << k;
    return dense[q * n + k] == 1;
  };
  for (int64_t q : {15, 16, 17}) {      // r8 r9 and their gist: chunk 4
    EXPECT_TRUE(visible(q, 13)) << q;   // M1 of chunk id 4, behind M2: rule 2
    EXPECT_TRUE(visible(q, 14)) << q;   // M2: the top level, rule 1
    EXPECT_FALSE(visible(q, 6)) << q;   // the first M1: hidden behind M2 (chunk id 2)
    EXPECT_FALSE(visible(q, 12)) << q;  // G of chunk 3: hidden behind M1, M2
  }
  EXPECT_TRUE(visible(7, 6));     // r4 sees M1 (chunk id 2, and rule 1)
  EXPECT_FALSE(visible(18, 13));  // the final M1 is no level-0 token: rule 3 only (its G's)
  EXPECT_TRUE(visible(18, 17));
  EXPECT_FALSE(visible(18, 16));
}

// Spec: `r r r` with s = 3 becomes `r r r G`; the gist closes a chunk of sink tokens.
TEST(TrainingMask, SinkOnlyText) {
  GistLayout layout(settings_of(4, {}, 3), iota_tokens(3));
  const auto dense = dense_bits(layout, {1});
  EXPECT_EQ(dense, (std::vector<uint8_t>{1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1}));
}

TEST(TrainingMask, TensorFormIsBoolSquare) {
  GistLayout layout(settings_of(3), iota_tokens(8));
  const at::Tensor mask = dense_training_mask(layout, {0});
  EXPECT_EQ(mask.scalar_type(), at::kBool);
  ASSERT_EQ(mask.dim(), 2);
  EXPECT_EQ(mask.size(0), 11);
  EXPECT_EQ(mask.size(1), 11);
  EXPECT_TRUE(mask[8][3].item<bool>());   // r6 sees G0
  EXPECT_FALSE(mask[8][4].item<bool>());  // r6 does not see r3
}

TEST(TrainingMask, RefusesDenseAboveTheLimit) {
  GistLayout layout(settings_of(8), iota_tokens(kMaxDenseMaskLength));
  EXPECT_THROW(dense_training_mask(layout, {0}), std::length_error);
}

// The spec's properties, and the rule == the dense reference, on random settings.
TEST(TrainingMask, RandomSettingsKeepTheSpecProperties) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 250; ++trial) {
    const auto c = testing::random_case(rng, 300);
    GistLayout layout(c.layout, iota_tokens(c.raw_tokens));
    SCOPED_TRACE(c.layout.to_json() + " p=" + std::to_string(c.mask.previous_chunks) +
                 " n=" + std::to_string(c.raw_tokens));
    const int64_t length = layout.length();
    const auto dense = dense_bits(layout, c.mask);
    const MaskRuleView rule = mask_rule_view(layout, c.mask);
    const int64_t sink = layout.sink_length();
    for (int64_t q = 0; q < length; ++q) {
      for (int64_t k = 0; k < length; ++k) {
        const bool visible = dense[q * length + k] == 1;
        ASSERT_EQ(training_mask_allows(rule, q, k), visible) << "query " << q << " key " << k;
        if (k > q) {
          ASSERT_FALSE(visible) << "causality, query " << q << " key " << k;
        }
        if (q == k) {
          ASSERT_TRUE(visible) << "self, position " << q;
        }
        if (!visible || k < sink) continue;
        // A level-0 token sees its own chunk's earlier positions (checked below);
        // with p = 0 a raw token never sees a raw token of an earlier chunk.
        if (c.mask.previous_chunks == 0 && layout.level(q) < 0 && layout.level(k) < 0) {
          ASSERT_EQ(layout.chunk_id(k), layout.chunk_id(q)) << "query " << q << " key " << k;
        }
        // With p = 0, after a meta-gist the lower gists before it are hidden
        // from later level-0 tokens, but for those of the own chunk (rule 2).
        if (c.mask.previous_chunks == 0 && layout.level(q) <= 0 && layout.is_gist(k) &&
            layout.chunk_id(k) != layout.chunk_id(q)) {
          for (int64_t m = k + 1; m < q; ++m) {
            ASSERT_FALSE(layout.level(m) > layout.level(k))
                << "query " << q << " sees gist " << k << " behind higher gist " << m;
          }
        }
      }
      // Rule 2, literally: a level-0 token sees every position of its own
      // chunk and of the p before it, meta-gists included.
      if (layout.level(q) <= 0) {
        for (int64_t k = 0; k < q; ++k) {
          if (layout.chunk_id(q) - layout.chunk_id(k) <= c.mask.previous_chunks) {
            ASSERT_EQ(dense[q * length + k], 1) << "rule 2, query " << q << " key " << k;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace ssa
