// Hugging Face checkpoints through the real ssa-workbench binary.
//
// Bad input (issue 12): each of these is one line on stderr naming what is
// wrong, exit code 2, and no recording written -- an unsupported tokenizer
// type, architecture or RoPE type; a missing shard; a vocabulary larger than
// the embedding (both numbers); a tokenizer.json that is not JSON or whose
// merges name unknown tokens; a prompt that is not UTF-8 (its byte offset).
// The checkpoints are tiny random Llamas with a byte-level BPE tokenizer
// written here.
//
// SmolLM2-135M-Instruct (skipped, in one line, when it is absent): `generate
// --chat` answers "What is the capital of France?" with Paris; `record` with
// the reference's layout flags adds the gist tokens (untrained, mean rows),
// records the run with what it used and every position's text, and the
// recording opens with `info`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/model/checkpoint.h"
#include "sessions/reader.h"
#include "tests/model/scratch_dir.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSmolLM2 = fs::path(SSA_SOURCE_DIR) / ".cache/models/smollm2-135m-instruct";

std::string binary() {
  return std::string(SSA_BINARY_DIR) + "/app/ssa-workbench";
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs the binary with `args`, its stdout and stderr captured in files.
Outcome run(const std::vector<std::string>& args) {
  const std::string base = (fs::path(SSA_BINARY_DIR) / "tests/model/scratch/cli_run_").string() +
                           std::to_string(::getpid());
  const std::string out = base + ".out", err = base + ".err";
  std::vector<std::string> all{binary()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&files, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  Outcome o;
  if (posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&files);
  o.out = slurp(out);
  o.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return o;
}

// GPT-2's byte-to-unicode map: the vocabulary entry of byte b.
std::string byte_symbol(int b) {
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  int code = b;
  if (!printable) {
    int n = 0;
    for (int c = 0; c < b; ++c)
      n += !((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE);
    code = 256 + n;
  }
  std::string s;
  if (code < 0x80) {
    s += static_cast<char>(code);
  } else {
    s += static_cast<char>(0xC0 | (code >> 6));
    s += static_cast<char>(0x80 | (code & 0x3F));
  }
  return s;
}

// A byte-level BPE: the 256 byte symbols (ids 0..255), one merge "h e" -> 256,
// and the special token <|endoftext|> (257).
json byte_bpe() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_symbol(b)] = b;
  vocab["he"] = 256;
  const json byte_level = {{"type", "ByteLevel"},
                           {"add_prefix_space", false},
                           {"trim_offsets", true},
                           {"use_regex", true}};
  return {{"added_tokens",
           {{{"id", 257}, {"content", "<|endoftext|>"}, {"special", true}, {"normalized", false}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level},
          {"decoder", byte_level},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"h e"}}}}};
}

// A random 2-layer Llama of `vocab` ids in <scratch>/<name>, with `tokenizer`.
fs::path tiny_checkpoint(const std::string& name, const json& tokenizer, int64_t vocab = 258) {
  const fs::path dir = ssa::test::scratch_dir(name);
  ssa::ModelConfig c;
  c.model_type = "llama";
  c.vocab_size = vocab, c.hidden_size = 16, c.intermediate_size = 32, c.num_hidden_layers = 2;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.head_dim = 4;
  if (vocab > 257) c.eos_token_id = 257, c.eos_token_ids = {257};
  ssa::save_checkpoint(ssa::DecoderModel(c, 1), dir.string());
  write(dir / "tokenizer.json", tokenizer.dump());
  return dir;
}

// config.json of `dir`, changed by `edit`.
void edit_config(const fs::path& dir, const std::function<void(json&)>& edit) {
  json config = json::parse(slurp(dir / "config.json"));
  edit(config);
  write(dir / "config.json", config.dump(2));
}

class RealModelCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(binary())) GTEST_SKIP() << "ssa-workbench is not built";
  }
};

// `record` on `model` fails as bad input: exit 2, one line containing
// `expected`, and no recording.
void expect_refused(const fs::path& model, const std::string& expected) {
  const fs::path out = model / "refused.ssa";
  const Outcome o = run({"record", "--model", model.string(), "--layout", "chunk4", "--task",
                         "passkey", "--context", "96", "--steps", "1", "--out", out.string()});
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_NE(o.err.find(expected), std::string::npos)
      << "expected \"" << expected << "\" in: " << o.err;
  EXPECT_FALSE(fs::exists(out)) << out;
}

TEST_F(RealModelCli, TheTinyCheckpointRecords) {
  // The fixture itself is good: the failures below are each one change to it.
  const fs::path dir = tiny_checkpoint("cli_good", byte_bpe());
  const fs::path out = dir / "good.ssa";
  const Outcome o = run({"record", "--model", dir.string(), "--layout", "chunk4", "--task",
                         "passkey", "--context", "96", "--steps", "2", "--out", out.string()});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(fs::exists(out));
}

TEST_F(RealModelCli, UnsupportedTokenizerArchitectureAndRopeAreNamed) {
  json wordpiece = byte_bpe();
  wordpiece["model"]["type"] = "WordPiece";
  expect_refused(tiny_checkpoint("cli_wordpiece", wordpiece),
                 "tokenizer.json: model type \"WordPiece\" is not supported");

  const fs::path arch = tiny_checkpoint("cli_arch", byte_bpe());
  edit_config(arch, [](json& c) { c["architectures"] = {"GPT2LMHeadModel"}; });
  expect_refused(arch, "architecture GPT2LMHeadModel is not supported");

  const fs::path rope = tiny_checkpoint("cli_rope", byte_bpe());
  edit_config(rope, [](json& c) {
    c.erase("rope_parameters");
    c["rope_scaling"] = {{"rope_type", "longrope"}, {"factor", 2.0}};
  });
  expect_refused(rope, "rope type \"longrope\" is not supported");
}

TEST_F(RealModelCli, AMissingShardIsNamed) {
  const fs::path dir = tiny_checkpoint("cli_shards", byte_bpe());
  fs::rename(dir / "model.safetensors", dir / "model-00001-of-00002.safetensors");
  json map = json::object();
  const ssa::DecoderModel model(ssa::load_model_config((dir / "config.json").string()), 1);
  for (const auto& [name, tensor] : model.weights()) map[name] = "model-00001-of-00002.safetensors";
  map["model.norm.weight"] = "model-00002-of-00002.safetensors";
  write(dir / "model.safetensors.index.json", json{{"weight_map", map}}.dump());
  expect_refused(dir, "missing shard model-00002-of-00002.safetensors");
}

TEST_F(RealModelCli, AVocabularyLargerThanTheEmbeddingGivesBothNumbers) {
  // 258 tokens, an embedding of 200 rows.
  expect_refused(tiny_checkpoint("cli_vocab", byte_bpe(), 200),
                 "the tokenizer has 258 tokens but the embedding has 200 rows");
}

TEST_F(RealModelCli, ABrokenTokenizerJsonIsRefused) {
  const fs::path dir = tiny_checkpoint("cli_not_json", byte_bpe());
  write(dir / "tokenizer.json", "{\"model\": {\"type\": \"BPE\",");
  expect_refused(dir, "tokenizer.json: not JSON");

  json unknown = byte_bpe();
  unknown["model"]["merges"] = {"h e", "q zz"};
  expect_refused(tiny_checkpoint("cli_merges", unknown),
                 "tokenizer.json: model.merges[1] names \"zz\", which is not in the vocabulary");
}

TEST_F(RealModelCli, TextThatIsNotUtf8GivesItsByteOffset) {
  const fs::path dir = tiny_checkpoint("cli_utf8", byte_bpe());
  write(dir / "prompt.txt", "hello \xff world");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"generate", "--model", dir.string(), "--layout", "chunk4",
                                 "--prompt-file", (dir / "prompt.txt").string()},
        std::vector<std::string>{"tokenize", "--model", dir.string(), "--text-file",
                                 (dir / "prompt.txt").string()}}) {
    const Outcome o = run(args);
    EXPECT_EQ(o.exit_code, 2) << args[0] << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find("not valid UTF-8 at byte 6"), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "") << args[0];
  }
}

// --- SmolLM2 -----------------------------------------------------------------

class SmolLM2Cli : public RealModelCli {
 protected:
  void SetUp() override {
    RealModelCli::SetUp();
    if (IsSkipped()) return;
    if (!fs::exists(kSmolLM2 / "model.safetensors"))
      GTEST_SKIP() << kSmolLM2.string() << " is absent (scripts/setup.sh installs it)";
  }
};

TEST_F(SmolLM2Cli, AChatQuestionIsAnswered) {
  const Outcome o = run({"generate", "--model", kSmolLM2.string(), "--layout", "chunk16", "--chat",
                         "--prompt", "What is the capital of France?", "--max-tokens", "12"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::printf("SmolLM2 --chat: %s", o.out.c_str());
  EXPECT_NE(o.out.find("Paris"), std::string::npos) << o.out;
  // The template's markers are not printed, nor the stop token.
  EXPECT_EQ(o.out.find("<|im_"), std::string::npos) << o.out;
}

TEST_F(SmolLM2Cli, SsaDecodingWithAddedGistsRecords) {
  const fs::path dir = ssa::test::scratch_dir("cli_smollm2_record");
  const fs::path out = dir / "smollm2.ssa";
  const Outcome o = run({"record", "--model", kSmolLM2.string(), "--layout", "chunk16", "--sink",
                         "3", "--previous", "1", "--task", "passkey", "--context", "96", "--steps",
                         "3", "--out", out.string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("added <gist>, <Gist>, <MGist> to the tokenizer as ids 49152, 49153, "
                       "49154, their embedding rows the mean of the pretrained rows"),
            std::string::npos)
      << o.err;

  const Outcome info = run({"info", out.string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("chunk16 k=4 head"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("dense layers 1, task passkey"), std::string::npos) << info.out;

  // What was used is kept: the layout from the flags, the tokenizer's gists.
  ssa::sessions::Reader reader(out.string());
  const auto runs = reader.runs();
  ASSERT_EQ(runs.size(), 1u);
  const json config = json::parse(runs[0].config_json);
  EXPECT_EQ(config["layout_from"], "flags");
  EXPECT_EQ(config["gist_ids"], json({49152}));
  EXPECT_EQ(config["layout"]["hierarchy"], "chunk16");
  EXPECT_EQ(config["layout"]["sink"], 3);
  EXPECT_EQ(config["layout"]["position_ids"], "raw");
  EXPECT_EQ(config["layout"]["word_aware"], true);
  EXPECT_EQ(config["previous_chunks"], 1);
  // --context counts BPE tokens: the document fills it (fit_example: within 8).
  EXPECT_LE(config["document_tokens"].get<int>(), 96);
  EXPECT_GE(config["document_tokens"].get<int>(), 88);
  // Every position's piece is its text: words, BOS and gists by name.
  const auto layout = reader.layout(runs[0].id);
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->pieces.size(), layout->token_ids.size());
  EXPECT_EQ(layout->pieces[0], "<|im_start|>");  // SmolLM2's bos_token
  std::string document;
  for (int64_t p = 0; p < layout->length(); ++p) {
    if (layout->token_ids[p] == 49152) {
      EXPECT_EQ(layout->pieces[p], "<gist>");
    }
    if (p > 0 && layout->roles[p] == 0) document += layout->pieces[p];
  }
  EXPECT_NE(document.find(" The grass is green."), std::string::npos) << document;
  EXPECT_NE(document.find("The pass key is " + config["answer"].get<std::string>()),
            std::string::npos)
      << document;
  EXPECT_NE(document.find("\nWhat is the pass key? The pass key is"), std::string::npos)
      << document;
}

}  // namespace
