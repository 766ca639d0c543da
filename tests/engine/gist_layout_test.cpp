// GistLayout against the spec's layout rules and examples (ssa-spec.md, "Layout").
#include "engine/layout/gist_layout.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "tests/engine/layout_names.h"

namespace ssa {
namespace {

using testing::iota_tokens;
using testing::spec_notation;

LayoutSettings settings_of(int chunk, std::vector<int> groups = {}, int sink = 0) {
  LayoutSettings s;
  s.chunk = chunk;
  s.group_sizes = std::move(groups);
  s.sink = sink;
  return s;
}

TEST(GistLayout, SpecExampleOneLevel) {
  GistLayout layout(settings_of(3), iota_tokens(8));
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 G r3 r4 r5 G r6 r7 G");
}

TEST(GistLayout, SpecExampleTwoLevels) {
  GistLayout layout(settings_of(2, {2}), iota_tokens(6));
  EXPECT_EQ(spec_notation(layout), "r0 r1 G r2 r3 G M1 r4 r5 G M1");
}

TEST(GistLayout, SpecExampleThreeLevels) {
  GistLayout layout(settings_of(2, {2, 3}), iota_tokens(12));
  EXPECT_EQ(spec_notation(layout), "r0 r1 G r2 r3 G M1 r4 r5 G r6 r7 G M1 r8 r9 G r10 r11 G M1 M2");
}

TEST(GistLayout, FullLastChunkGetsOneGist) {
  GistLayout layout(settings_of(3), iota_tokens(9));
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 G r3 r4 r5 G r6 r7 r8 G");
}

TEST(GistLayout, SinkHasNoGists) {
  GistLayout layout(settings_of(3, {}, 2), iota_tokens(9));
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 r3 r4 G r5 r6 r7 G r8 G");
  EXPECT_EQ(layout.sink_length(), 2);
}

TEST(GistLayout, DynamicSinkIsEverythingBeforeTheFirstChunk) {
  LayoutSettings s = settings_of(3, {}, -1);
  GistLayout layout(s, iota_tokens(10), {}, /*compress_from=*/4);
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 r3 r4 r5 r6 G r7 r8 r9 G");
  EXPECT_EQ(layout.sink_length(), 4);
}

TEST(GistLayout, SinkLongerThanTextMeansNoGists) {
  GistLayout layout(settings_of(3, {}, 5), iota_tokens(4));
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 r3");
  EXPECT_FALSE(layout.has_gists());
  EXPECT_EQ(layout.prefix_length(), 0);
}

TEST(GistLayout, IdsCountGistsBeforeAndGistsCarryWhatTheyClose) {
  // r0 r1 G r2 r3 G M1 r4 r5 G r6 r7 G M1
  GistLayout layout(settings_of(2, {2}), iota_tokens(8));
  const std::vector<int32_t> chunk = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4};
  const std::vector<int32_t> group = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
  ASSERT_EQ(layout.length(), 14);
  for (int64_t pos = 0; pos < 14; ++pos) {
    EXPECT_EQ(layout.chunk_id(pos), chunk[pos]) << "position " << pos;
    EXPECT_EQ(layout.id(pos, 1), group[pos]) << "position " << pos;
  }
  EXPECT_EQ(layout.role(6), gist_role(1));
  EXPECT_EQ(layout.token_id(2), 259);
  EXPECT_EQ(layout.token_id(6), 260);
  EXPECT_EQ(layout.prefix_length(), 14);
}

// Spec, "Position ids": gists do not advance RoPE positions (the reference's
// stream index - gists at or before it); appended tokens take last + 1.
TEST(GistLayout, RawPositionIdsSkipGists) {
  LayoutSettings s = settings_of(2, {2});
  GistLayout layout(s, iota_tokens(6));  // r0 r1 G r2 r3 G M1 r4 r5 G M1
  EXPECT_EQ(layout.position_ids(), (std::vector<int64_t>{0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 5}));
  layout.append(100);
  EXPECT_EQ(layout.position_id(layout.length() - 1), 6);
}

TEST(GistLayout, StreamPositionIdsAreStreamIndices) {
  LayoutSettings s = settings_of(4, {4});
  s.positions = PositionScheme::kStream;
  GistLayout layout(s, iota_tokens(50));
  const auto& positions = layout.position_ids();
  for (int64_t pos = 0; pos < layout.length(); ++pos) EXPECT_EQ(positions[pos], pos);
}

TEST(GistLayout, AppendedTokensFormTheSuffix) {
  GistLayout layout(settings_of(2, {2}), iota_tokens(6));  // r0 r1 G r2 r3 G M1 r4 r5 G M1
  const int64_t prefix = layout.prefix_length();
  EXPECT_EQ(prefix, 11);
  for (int i = 0; i < 5; ++i) {
    const int64_t pos = layout.append(100 + i);
    EXPECT_EQ(pos, prefix + i);
    EXPECT_EQ(layout.role(pos), kRawRole);
    EXPECT_EQ(layout.raw_index(pos), 6 + i);
    EXPECT_EQ(layout.chunk_id(pos), 3);  // one past the last chunk: the whole suffix
    EXPECT_EQ(layout.stream_index(6 + i), pos);
  }
  EXPECT_EQ(layout.prefix_length(), prefix);  // generated tokens get no gists by default
}

TEST(GistLayout, OptionalGistsDuringGeneration) {
  LayoutSettings s = settings_of(2, {2});
  s.gists_in_generation = true;
  GistLayout layout(s, iota_tokens(4));  // r0 r1 G r2 r3 G M1
  // The prompt's suffix stays raw; only generated tokens get gists.
  for (int i = 0; i < 3; ++i) layout.append(100 + i);
  EXPECT_EQ(spec_notation(layout), "r0 r1 G r2 r3 G M1 r4 r5 r6");
  layout.begin_generation();
  for (int i = 0; i < 5; ++i) layout.append(200 + i);
  EXPECT_EQ(spec_notation(layout), "r0 r1 G r2 r3 G M1 r4 r5 r6 r7 r8 G r9 r10 G M1 r11");
  EXPECT_EQ(layout.prefix_length(), 7);  // the prompt's: generated gists are suffix
}

TEST(GistLayout, WordAwarePlacementWaitsForAWordStart) {
  LayoutSettings s = settings_of(4);
  s.word_aware = true;
  // Words start at raw 0, 5, 7 and 13: the first gist waits one token (after r4),
  // the next waits for 13 but may move at most c/2 = 2 tokens (closing after r10).
  std::vector<bool> starts(16, false);
  starts[0] = starts[5] = starts[7] = starts[13] = true;
  GistLayout layout(s, iota_tokens(16), starts);
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 r3 r4 G r5 r6 r7 r8 r9 r10 G r11 r12 r13 r14 r15 G");
}

TEST(GistLayout, RejectsBadSettings) {
  EXPECT_THROW(GistLayout(settings_of(0), iota_tokens(3)), std::invalid_argument);
  EXPECT_THROW(GistLayout(settings_of(2, {1}), iota_tokens(3)), std::invalid_argument);
  EXPECT_THROW(parse_hierarchy("chunk4-chunkX"), std::invalid_argument);
  EXPECT_THROW(parse_hierarchy("chunk4-chunk1"), std::invalid_argument);
  EXPECT_THROW(parse_hierarchy("block4"), std::invalid_argument);
  EXPECT_THROW(parse_hierarchy(""), std::invalid_argument);
}

TEST(GistLayout, ParsesHierarchyNames) {
  const LayoutSettings s = parse_hierarchy("chunk4-chunk4");
  EXPECT_EQ(s.chunk, 4);
  EXPECT_EQ(s.group_sizes, std::vector<int>{4});
  EXPECT_EQ(s.hierarchy_name(), "chunk4-chunk4");
  EXPECT_EQ(parse_hierarchy("chunk8").num_levels(), 1);
  EXPECT_EQ(parse_hierarchy("chunk2-chunk3-chunk4").top_level(), 2);
}

// Random settings: structural properties every layout must have.
TEST(GistLayout, RandomLayoutsKeepTheSpecInvariants) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    LayoutSettings s;
    s.chunk = 1 + rng() % 9;
    const int levels = rng() % 4;
    for (int l = 0; l < levels; ++l) s.group_sizes.push_back(2 + rng() % 4);
    s.sink = rng() % 3 == 0 ? static_cast<int>(rng() % 6) : 0;
    const int64_t n = 1 + rng() % 400;
    GistLayout layout(s, iota_tokens(n));
    SCOPED_TRACE(s.to_json() + " n=" + std::to_string(n));

    // Raw <-> stream round trip, raw order kept.
    ASSERT_EQ(layout.num_raw(), n);
    for (int64_t r = 0; r < n; ++r) ASSERT_EQ(layout.raw_index(layout.stream_index(r)), r);
    // The stream ends with one gist of every level, lowest first.
    const int64_t sink = std::min<int64_t>(s.sink, n);
    if (n > sink) {
      for (int l = 0; l < layout.num_levels(); ++l) {
        ASSERT_EQ(layout.level(layout.length() - layout.num_levels() + l), l);
      }
      ASSERT_EQ(layout.prefix_length(), layout.length());
      // ceil((n - sink) / c) chunks, each closed by one gist.
      ASSERT_EQ(layout.num_gists(0), (n - sink + s.chunk - 1) / s.chunk);
    }
    // Every chunk (but maybe the last) has c raw tokens; every level-i group
    // (but maybe the last) has c_i gists of level i-1.
    std::vector<int64_t> since(layout.num_levels(), 0);
    for (int64_t pos = sink; pos < layout.length(); ++pos) {
      const int level = layout.level(pos);
      if (level < 0) {
        ++since[0];
        continue;
      }
      const int64_t expected = level == 0 ? s.chunk : s.group_sizes[level - 1];
      if (pos + layout.num_levels() - level < layout.length()) {
        ASSERT_EQ(since[level], expected) << "position " << pos;
      } else {
        ASSERT_GE(since[level], 1);
        ASSERT_LE(since[level], expected);
      }
      since[level] = 0;
      if (level + 1 < layout.num_levels()) ++since[level + 1];
    }
  }
}

}  // namespace
}  // namespace ssa
