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

using Positions = std::vector<int64_t>;

TEST(GistLayout, SpecExampleOneLevel) {
  GistLayout layout(settings_of(3), iota_tokens(8));
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 G r3 r4 r5 G r6 r7 G");
  EXPECT_EQ(layout.position_ids(), (Positions{0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 7}));
}

TEST(GistLayout, SpecExampleTwoLevels) {
  GistLayout layout(settings_of(2, {2}), iota_tokens(6));
  EXPECT_EQ(spec_notation(layout), "r0 r1 G r2 r3 G M1 r4 r5 G M1");
  EXPECT_EQ(layout.position_ids(), (Positions{0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 5}));
}

TEST(GistLayout, SpecExampleThreeLevels) {
  GistLayout layout(settings_of(2, {2, 3}), iota_tokens(12));
  EXPECT_EQ(spec_notation(layout), "r0 r1 G r2 r3 G M1 r4 r5 G r6 r7 G M1 r8 r9 G r10 r11 G M1 M2");
  EXPECT_EQ(layout.position_ids(),
            (Positions{0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7, 7, 8, 9, 9, 10, 11, 11, 11, 11}));
}

// Spec, "Position ids": `r0 G r1 G M1 r2` -> 0 0 1 1 1 2.
TEST(GistLayout, SpecPositionExample) {
  GistLayout layout(settings_of(1, {2}), iota_tokens(3));
  EXPECT_EQ(spec_notation(layout), "r0 G r1 G M1 r2 G M1");
  EXPECT_EQ(layout.position_ids(), (Positions{0, 0, 1, 1, 1, 2, 2, 2}));
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

// The reference's dynamic sink is (first gist position - c), whatever the
// first chunk's length: a short document leaves part of the uncompressed
// text outside it, a word-aware shift brings part of the first chunk in.
TEST(GistLayout, DynamicSinkEndsChunkBeforeTheFirstGist) {
  LayoutSettings s = settings_of(3, {}, -1);
  GistLayout short_document(s, iota_tokens(6), {}, /*compress_from=*/4);
  EXPECT_EQ(spec_notation(short_document), "r0 r1 r2 r3 r4 r5 G");
  EXPECT_EQ(short_document.sink_length(), 3);
  s.word_aware = true;
  std::vector<bool> starts(10, true);
  starts[7] = false;  // the gist after r4 r5 r6 would split a word: it moves behind r7
  GistLayout shifted(s, iota_tokens(10), starts, /*compress_from=*/4);
  EXPECT_EQ(spec_notation(shifted), "r0 r1 r2 r3 r4 r5 r6 r7 G r8 r9 G");
  EXPECT_EQ(shifted.sink_length(), 5);
  // Nothing to compress: no gists at all.
  GistLayout empty_document(s, iota_tokens(5), {}, /*compress_from=*/5);
  EXPECT_FALSE(empty_document.has_gists());
}

// Spec: text no longer than the sink still ends with one gist of every level.
TEST(GistLayout, SinkOnlyTextGetsTheFinalGists) {
  GistLayout layout(settings_of(4, {}, 3), iota_tokens(3));
  EXPECT_EQ(spec_notation(layout), "r0 r1 r2 G");
  EXPECT_TRUE(layout.has_gists());
  EXPECT_EQ(layout.prefix_length(), 4);
  EXPECT_EQ(layout.sink_length(), 3);
  EXPECT_EQ(layout.position_ids(), (Positions{0, 1, 2, 2}));

  GistLayout levels(settings_of(2, {2, 2}, 5), iota_tokens(3));
  EXPECT_EQ(spec_notation(levels), "r0 r1 r2 G M1 M2");
  EXPECT_EQ(levels.position_ids(), (Positions{0, 1, 2, 2, 2, 2}));
  EXPECT_EQ(levels.chunk_id(4), 1);  // the meta-gists carry the id of the chunk after G
  // The sink is the first s stream positions, as the reference's mask counts
  // them: here two of the final gists, and the suffix fills it up to s.
  EXPECT_EQ(levels.sink_length(), 5);
  levels.append(7);
  EXPECT_EQ(levels.sink_length(), 5);

  GistLayout shorter(settings_of(4, {}, 3), iota_tokens(1));
  EXPECT_EQ(spec_notation(shorter), "r0 G");
  EXPECT_EQ(shorter.sink_length(), 2);
  shorter.append(9);
  EXPECT_EQ(shorter.sink_length(), 3);
  shorter.append(9);
  EXPECT_EQ(shorter.sink_length(), 3);

  GistLayout empty(settings_of(4, {2}, 3), {});
  EXPECT_EQ(empty.length(), 0);
  EXPECT_FALSE(empty.has_gists());
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
  // A generated gist shares the position before it; the next raw token takes last + 1.
  EXPECT_EQ(layout.position_ids(),
            (Positions{0, 1, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 8, 9, 10, 10, 10, 11}));
}

// Word-aware placement (spec): the stream for given word starts ('|' marks a
// word start), pinned by hand.
std::string word_aware_stream(LayoutSettings s, const std::string& starts,
                              int64_t compress_from = 0) {
  s.word_aware = true;
  std::vector<bool> flags;
  for (char ch : starts) flags.push_back(ch == '|');
  return spec_notation(
      GistLayout(s, iota_tokens(static_cast<int64_t>(flags.size())), flags, compress_from));
}

struct WordAwareCase {
  int chunk;
  const char* starts;  // '|': the raw token starts a word
  const char* stream;
};

void expect_streams(const std::vector<WordAwareCase>& cases) {
  for (const WordAwareCase& c : cases)
    EXPECT_EQ(word_aware_stream(settings_of(c.chunk), c.starts), c.stream)
        << "c=" << c.chunk << " " << c.starts;
}

TEST(GistLayout, WordAwareGistMovesToTheFirstWordStartWithinHalfAChunk) {
  expect_streams({
      // c = 4: the gist before r4 would split a word; r5 starts one: it moves
      // there. The next chunk counts from it: before r9, inside a word, and
      // r10 r11 are inside it too (c/2 = 2): it stays before r9. Before r13: a
      // word start.
      {4, "|....|.|.....|..", "r0 r1 r2 r3 r4 G r5 r6 r7 r8 G r9 r10 r11 r12 G r13 r14 r15 G"},
      // The first word start found wins (r5, not r6); one at t + c/2 counts.
      {4, "|....||....", "r0 r1 r2 r3 r4 G r5 r6 r7 r8 G r9 r10 G"},
      {4, ".....|.....", "r0 r1 r2 r3 r4 G r5 r6 r7 r8 G r9 r10 G"},
      {4, "......|....", "r0 r1 r2 r3 r4 r5 G r6 r7 r8 r9 G r10 G"},
      // One past c/2 is too far: the gist stays where it was.
      {4, ".......|...", "r0 r1 r2 r3 G r4 r5 r6 r7 G r8 r9 r10 G"},
      // c = 1 and c = 3: c/2 = 0 and 1.
      {1, "|.|.", "r0 G r1 G r2 G r3 G"},
      {3, "|...|..|.", "r0 r1 r2 r3 G r4 r5 r6 G r7 r8 G"},
      // The token after a gist is a word start whenever one was in reach.
      {2, "|.|.|.|.", "r0 r1 G r2 r3 G r4 r5 G r6 r7 G"},
      {2, "|..|..|.", "r0 r1 r2 G r3 r4 r5 G r6 r7 G"},
  });
}

TEST(GistLayout, WordAwareNearTheEndOfTheText) {
  expect_streams({
      // The end of the text is no word start for a shift: the window stops
      // there and the gist stays before t (here r5's word runs to the end).
      {4, "|.....", "r0 r1 r2 r3 G r4 r5 G"},
      {4, "|....", "r0 r1 r2 r3 G r4 G"},
      // A shift onto the last token: the gist before it, the final gist after it.
      {4, "|.....|", "r0 r1 r2 r3 r4 r5 G r6 G"},
      {4, "|....|", "r0 r1 r2 r3 r4 G r5 G"},
      // The reference's copy loop stops early near the end: token t + j joins
      // only while t + 2j < n. With c = 6 and the word start at r9 of 10
      // tokens, r6 r7 join and the gist lands before r8 (inside the word);
      // with one more token the whole shift fits.
      {6, "|........|", "r0 r1 r2 r3 r4 r5 r6 r7 G r8 r9 G"},
      {6, "|........|.", "r0 r1 r2 r3 r4 r5 r6 r7 r8 G r9 r10 G"},
      {8, "|...........|", "r0 r1 r2 r3 r4 r5 r6 r7 r8 r9 r10 G r11 r12 G"},
      // Exactly c tokens: no gist right at the end but the final one.
      {4, "|...", "r0 r1 r2 r3 G"},
      {4, "|", "r0 G"},
  });
}

TEST(GistLayout, WordAwareCountsFromTheEndOfTheSink) {
  // s = 3: chunks count from r3; the sink's own tokens never move a gist.
  EXPECT_EQ(word_aware_stream(settings_of(3, {}, 3), "|......|.."),
            "r0 r1 r2 r3 r4 r5 r6 G r7 r8 r9 G");
  EXPECT_EQ(word_aware_stream(settings_of(3, {}, 3), "|..|..|..."),
            "r0 r1 r2 r3 r4 r5 G r6 r7 r8 G r9 G");
  // Sink-only text: the final gist, nothing to move.
  EXPECT_EQ(word_aware_stream(settings_of(3, {}, 3), "|.."), "r0 r1 r2 G");
}

TEST(GistLayout, WordAwareMetaGistsCountGists) {
  // c = 2, c1 = 2: the level-0 gists move; a meta-gist follows every second one.
  EXPECT_EQ(word_aware_stream(settings_of(2, {2}), "|..|..|..|."),
            "r0 r1 r2 G r3 r4 r5 G M1 r6 r7 r8 G r9 r10 G M1");
  EXPECT_EQ(word_aware_stream(settings_of(2, {2, 2}), "|..|.|..|.|..|"),
            "r0 r1 r2 G r3 r4 G M1 r5 r6 r7 G r8 r9 G M1 M2 r10 r11 r12 G r13 G M1 M2");
}

TEST(GistLayout, WordAwareWithEveryTokenAWordStartIsThePlainLayout) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    LayoutSettings s = settings_of(1 + rng() % 9, {}, rng() % 5);
    for (int l = 0, levels = rng() % 3; l < levels; ++l) s.group_sizes.push_back(2 + rng() % 3);
    const int64_t n = rng() % 120;
    const GistLayout plain(s, iota_tokens(n));
    s.word_aware = true;
    EXPECT_EQ(spec_notation(GistLayout(s, iota_tokens(n), std::vector<bool>(n, true))),
              spec_notation(plain));
    EXPECT_EQ(spec_notation(GistLayout(s, iota_tokens(n))), spec_notation(plain));  // no tokenizer
  }
}

// Random texts: every chunk is as the spec says, from the word starts alone.
TEST(GistLayout, WordAwareRandomTextsKeepTheSpecInvariants) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 400; ++trial) {
    LayoutSettings s = settings_of(1 + rng() % 10, {}, rng() % 3 == 0 ? rng() % 6 : 0);
    for (int l = 0, levels = rng() % 3; l < levels; ++l) s.group_sizes.push_back(2 + rng() % 3);
    s.word_aware = true;
    const int64_t n = 1 + rng() % 200;
    const unsigned density = 1 + rng() % 6;  // about one token in `density` starts a word
    std::vector<bool> starts(n);
    for (int64_t i = 0; i < n; ++i) starts[i] = i == 0 || rng() % density == 0;
    const GistLayout layout(s, iota_tokens(n), starts);
    SCOPED_TRACE(s.to_json() + " n=" + std::to_string(n) + " " + spec_notation(layout));
    const int c = s.chunk;
    const int64_t sink = std::min<int64_t>(s.sink, n);
    ASSERT_EQ(layout.num_raw(), n);
    ASSERT_EQ(layout.level(layout.length() - layout.num_levels()), 0);
    // Chunk j covers raw [begin, end): its gist goes before raw `end`.
    int64_t begin = sink;
    for (int64_t pos = 0; pos < layout.length(); ++pos) {
      if (layout.level(pos) != 0) continue;
      const bool final_gist = pos + layout.num_levels() == layout.length();
      int64_t next = pos + 1;  // the first raw token after the gist and its meta-gists
      while (next < layout.length() && layout.is_gist(next)) ++next;
      const int64_t end = final_gist ? n : layout.raw_index(next);
      if (final_gist) {
        ASSERT_LE(end - begin, c) << "last chunk";  // never longer than c: a gist came earlier
        break;
      }
      const int64_t t = begin + c;  // where the plain layout puts the gist
      ASSERT_GE(end, t);
      ASSERT_LE(end, t + c / 2);
      ASSERT_LT(end, n) << "a gist right at the end";
      if (end > t) {
        // Moved: t .. end-1 continue a word, and end starts one -- or the
        // word start u lies further on and the reference's copy loop stopped
        // early: end - t = ceil((n - t) / 2) < u - t.
        for (int64_t u = t; u < end; ++u) ASSERT_FALSE(starts[u]) << "raw " << u;
        if (!starts[end]) {
          ASSERT_EQ(end - t, (n - t + 1) / 2);
          int64_t u = end + 1;
          while (u < n && u <= t + c / 2 && !starts[u]) ++u;
          ASSERT_TRUE(u < n && u <= t + c / 2) << "no word start in reach";
        }
      } else if (!starts[t]) {
        // Stayed inside a word: no word start in reach before the end of the text.
        for (int64_t u = t + 1; u <= std::min<int64_t>(t + c / 2, n - 1); ++u)
          ASSERT_FALSE(starts[u]) << "raw " << u;
      }
      begin = end;
    }
  }
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
