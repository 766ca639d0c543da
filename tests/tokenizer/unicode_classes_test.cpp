// The pre-tokenizer patterns' character classes, for every code point, as the Oniguruma
// inside `tokenizers` has them (PCRE2 10.42's Unicode is older: onig_classes.h fills in).
#include <gtest/gtest.h>

#include "engine/tokenizer/regex.h"
#include "engine/tokenizer/unicode_text.h"
#include "tests/tokenizer/oracle.h"

namespace ssa::test {
namespace {

TEST(UnicodeClasses, EveryCodePointAsInTokenizers) {
  const std::vector<std::string> patterns = {
      R"(\p{L})", R"(\p{N})", R"(\s)", R"(\S)", R"([^\s\p{L}\p{N}])", R"([^\r\n\p{L}\p{N}])"};
  TempDir dir;
  std::vector<std::string> args = {"classes", (dir / "classes.json").string()};
  args.insert(args.end(), patterns.begin(), patterns.end());
  ASSERT_TRUE(run_oracle(args));
  const auto reply = read_json(dir / "classes.json");
  for (const auto& pattern : patterns) {
    const Regex regex = Regex::pattern(pattern);
    std::vector<int64_t> members;
    for (char32_t c = 0; c < 0x110000; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      std::string s;
      unicode::append(s, c);
      bool matched = false;
      regex.for_each_match(s, [&](size_t start, size_t end) { matched = matched || end > start; });
      if (matched) members.push_back(c);
    }
    const auto expected = reply[pattern].get<std::vector<int64_t>>();
    EXPECT_EQ(members.size(), expected.size()) << pattern;
    EXPECT_TRUE(members == expected) << pattern;
  }
}

TEST(UnicodeClasses, EmptyMatchesFollowOnigFindIter) {
  // x* on "axxb": an empty match at 0, "xx" at 1, then no empty match right after it, an
  // empty match at 4 is at the end (after b) -- as the onig crate's find_iter reports.
  std::vector<std::pair<size_t, size_t>> matches;
  Regex::pattern("x*").for_each_match("axxb",
                                      [&](size_t s, size_t e) { matches.emplace_back(s, e); });
  EXPECT_EQ(matches, (std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 3}, {4, 4}}));
}

}  // namespace
}  // namespace ssa::test
