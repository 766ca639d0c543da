// Bad tokenizer files and bad text: one-line TokenizerErrors naming what is wrong.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "tests/tokenizer/oracle.h"

namespace ssa::test {
namespace {

// A tiny valid byte-level BPE tokenizer.json, with `model` fields replaced as given.
nlohmann::json tiny_tokenizer(const nlohmann::json& model_changes = nlohmann::json::object()) {
  nlohmann::json vocab = nlohmann::json::object();
  int id = 0;
  for (const char* token : {"a", "b", "c", "ab", "abc", "Ġ"}) vocab[token] = id++;
  nlohmann::json model = {
      {"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array({"a b", "ab c"})}};
  model.update(model_changes);
  return {
      {"version", "1.0"},
      {"added_tokens", nlohmann::json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", model}};
}

// The message of the TokenizerError that loading `json` throws (fails the test if none).
std::string load_error(const std::string& json) {
  try {
    BpeTokenizer::from_json_text(json, "tokenizer.json");
  } catch (const TokenizerError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "more than one line: " << message;
    EXPECT_EQ(message.rfind("tokenizer.json: ", 0), 0u) << "does not name the file: " << message;
    return message;
  }
  ADD_FAILURE() << "loaded: " << json.substr(0, 200);
  return "";
}

void expect_error(const std::string& json, const std::string& part) {
  const std::string message = load_error(json);
  EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(BadInput, TinyTokenizerLoadsAndMerges) {
  const auto t = BpeTokenizer::from_json_text(tiny_tokenizer().dump(), "tiny");
  EXPECT_EQ(t->encode("abcab"), (std::vector<int64_t>{4, 3}));
  const auto pairs = BpeTokenizer::from_json_text(
      tiny_tokenizer({{"merges", nlohmann::json::array({nlohmann::json::array({"a", "b"}),
                                                        nlohmann::json::array({"ab", "c"})})}})
          .dump(),
      "tiny");
  EXPECT_EQ(pairs->encode("abcab"), (std::vector<int64_t>{4, 3}));
}

TEST(BadInput, NotJson) {
  expect_error("{\"version\": \"1.0\", \"model\": {", "not JSON");
  expect_error("", "not JSON");
  expect_error("[1, 2]", "expected a JSON object");
}

TEST(BadInput, MergesNamingUnknownTokens) {
  expect_error(tiny_tokenizer({{"merges", nlohmann::json::array({"a x"})}}).dump(),
               "names \"x\", which is not in the vocabulary");
  expect_error(
      tiny_tokenizer({{"merges", nlohmann::json::array({nlohmann::json::array({"q", "a"})})}})
          .dump(),
      "names \"q\"");
  // The merged token must exist too.
  expect_error(tiny_tokenizer({{"merges", nlohmann::json::array({"b c"})}}).dump(), "names \"bc\"");
  expect_error(tiny_tokenizer({{"merges", nlohmann::json::array({"a b c"})}}).dump(),
               "is not two tokens separated by one space");
  expect_error(tiny_tokenizer({{"merges", nlohmann::json::array({42})}}).dump(), "is neither");
  expect_error(tiny_tokenizer({{"vocab", {{"a", "zero"}}}}).dump(), "is not an id");
}

TEST(BadInput, UnsupportedModelTypesAreNamed) {
  for (const char* type : {"WordPiece", "Unigram", "WordLevel"}) {
    nlohmann::json spec = tiny_tokenizer();
    spec["model"] = {{"type", type}, {"vocab", nlohmann::json::object()}, {"unk_token", "[UNK]"}};
    expect_error(spec.dump(), std::string("model type \"") + type + "\" is not supported");
  }
  nlohmann::json metaspace = tiny_tokenizer();
  metaspace["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "▁"}};
  expect_error(metaspace.dump(), "pre_tokenizer type \"Metaspace\" is not supported");
  nlohmann::json lowercase = tiny_tokenizer();
  lowercase["normalizer"] = {{"type", "Lowercase"}};
  expect_error(lowercase.dump(), "normalizer type \"Lowercase\" is not supported");
  nlohmann::json wordpiece = tiny_tokenizer();
  wordpiece["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}};
  expect_error(wordpiece.dump(), "decoder type \"WordPiece\" is not supported");
}

TEST(BadInput, SentencePieceModelIsRefused) {
  TempDir dir;
  std::ofstream(dir / "tokenizer.model") << "not read";
  try {
    load_tokenizer(dir.path());
    ADD_FAILURE() << "loaded a tokenizer.model";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("SentencePiece tokenizer.model is not supported"),
              std::string::npos);
  }
}

TEST(BadInput, FolderWithoutATokenizer) {
  TempDir dir;
  std::ofstream(dir / "config.json") << R"({"vocab_size": 49152})";
  try {
    load_tokenizer(dir.path());
    ADD_FAILURE() << "loaded";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size 49152 is not the byte vocabulary"),
              std::string::npos)
        << e.what();
  }
}

TEST(BadInput, TextThatIsNotUtf8NamesItsByteOffset) {
  const auto t = BpeTokenizer::from_json_text(tiny_tokenizer().dump(), "tiny");
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"ab\xff", 2},               // a byte that starts nothing
      {"abc\xc0\xaf", 3},          // overlong "/"
      {"a\xed\xa0\x80", 1},        // a surrogate
      {"caf\xc3", 3},              // cut at the end
      {"\xe2\x82x", 0},            // cut in the middle
      {"ok \xf4\x90\x80\x80", 3},  // past U+10FFFF
  };
  for (const auto& [text, offset] : cases) {
    try {
      t->encode(text);
      ADD_FAILURE() << "encoded invalid UTF-8";
    } catch (const TokenizerError& e) {
      EXPECT_EQ(std::string(e.what()), "text is not valid UTF-8 at byte " + std::to_string(offset));
    }
  }
}

TEST(BadInput, UnkTokenMissingFromTheVocabulary) {
  nlohmann::json spec = tiny_tokenizer({{"unk_token", "<unk>"}});
  spec["pre_tokenizer"] = nullptr;
  spec["decoder"] = nullptr;
  const auto t = BpeTokenizer::from_json_text(spec.dump(), "tiny");
  EXPECT_EQ(t->encode("ab"), (std::vector<int64_t>{3}));
  EXPECT_THROW(t->encode("abz"), TokenizerError);  // as tokenizers: only when it is needed
}

}  // namespace
}  // namespace ssa::test
