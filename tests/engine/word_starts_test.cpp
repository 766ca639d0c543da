// Word starts from decoded token texts (engine/layout/word_starts.h), the
// reference's test character for character.
#include "engine/layout/word_starts.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa {
namespace {

TEST(WordStarts, BoundaryCharactersStartWords) {
  for (const char* text : {" the", "\tx", "\nx", "\rx", ".", ",", ";", ":",  "!", "?",
                           "-",    "(",   ")",   "[",   "]", "{", "}", "\"", "'", "\xE2\x80\x94x",
                           ""}) {
    EXPECT_TRUE(text_starts_word(text)) << "'" << text << "'";
  }
  // Letters, digits and every other character continue a word, as does a
  // lone byte of a multi-byte character, or another dash than the em dash.
  for (const char* text : {"the", "ing", "7", "_", "/", "<", "\xC3\xA9", "\xE2", "\xE2\x80",
                           "\xE2\x80\x93", "\x0b", "\f"}) {
    EXPECT_FALSE(text_starts_word(text)) << "'" << text << "'";
  }
}

TEST(WordStarts, TheFirstTokenAlwaysStartsAWord) {
  EXPECT_EQ(word_starts(std::vector<std::string>{"ab", "c", " d", "e", ".", "f"}),
            (std::vector<bool>{true, false, true, false, true, false}));
  EXPECT_TRUE(word_starts(std::vector<std::string>{}).empty());
}

TEST(WordStarts, ByteTokensDecodeToTheirByte) {
  const ByteTokenizer tokenizer;
  const std::vector<int64_t> ids = tokenizer.encode("Hi, \xE2\x80\x94 ok");
  const std::vector<bool> starts =
      word_starts(ids, [&](int64_t id) { return tokenizer.token_text(id); });
  // H i , ' ' E2 80 94 ' ' o k: a byte of the em dash alone is no word start.
  EXPECT_EQ(starts,
            (std::vector<bool>{true, false, true, true, false, false, false, true, false, false}));
}

}  // namespace
}  // namespace ssa
