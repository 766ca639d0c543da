// assets/configs/smollm2-ssa.json, the continued pretraining of SmolLM2 with
// gist tokens, runs: a few CPU steps of the recipe as written (layout, data,
// optimiser) on a tiny Llama with SmolLM2's tokenizer, so that it takes
// seconds. The run adds <gist>, <Gist>, <MGist> after the 49,152 tokens with
// mean rows, trains on BPE ids, and saves a model whose tokenizer.json has the
// gists where the embedding has them. Skips (one line) without the SmolLM2
// checkpoint (scripts/setup.sh installs it).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/data/model_text.h"
#include "engine/model/checkpoint.h"
#include "engine/model/gist_tokens.h"
#include "engine/train/train_config.h"
#include "engine/train/trainer.h"
#include "tests/model/scratch_dir.h"

namespace {

namespace fs = std::filesystem;

const fs::path kSmolLM2 = fs::path(SSA_SOURCE_DIR) / ".cache/models/smollm2-135m-instruct";

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// A Llama of SmolLM2's vocabulary and special ids, 2 layers of width 32, with
// SmolLM2's tokenizer files.
std::string tiny_smollm2(const std::string& name) {
  const std::string dir = ssa::test::fresh_tree(name);
  ssa::ModelConfig c;
  c.model_type = "llama";
  c.vocab_size = 49152, c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.head_dim = 8;
  c.tie_word_embeddings = true;
  c.bos_token_id = 1, c.eos_token_id = 2, c.eos_token_ids = {2}, c.pad_token_id = 2;
  ssa::save_checkpoint(ssa::DecoderModel(c, 5), dir);
  for (const char* file :
       {"tokenizer.json", "tokenizer_config.json", "generation_config.json", "chat_template.jinja"})
    if (fs::exists(kSmolLM2 / file)) fs::copy_file(kSmolLM2 / file, fs::path(dir) / file);
  return dir;
}

TEST(SmolLM2Training, TheRecipeRunsOnTheCpuAndSavesTheGistTokens) {
  if (!fs::exists(kSmolLM2 / "tokenizer.json"))
    GTEST_SKIP() << kSmolLM2.string() << " is absent (scripts/setup.sh installs it)";
  // The recipe as shipped, shrunk in size and time only.
  nlohmann::json recipe = read_json(fs::path(SSA_SOURCE_DIR) / "assets/configs/smollm2-ssa.json");
  recipe["init"] = tiny_smollm2("smollm2_tiny_init");
  recipe["data"]["seq_len"] = 96;
  recipe["train"] = {
      {"steps", 3},        {"batch_size", 2},        {"eval_every", 0}, {"save_every", 0},
      {"eval_batches", 1}, {"log_every", 1},         {"seed", 1},       {"threads", 2},
      {"device", "cpu"},   {"save_dtype", "float32"}};
  recipe["eval"] = {
      {"decode_examples", 1}, {"decode_k", 2}, {"decode_bytes", 48}, {"decode_tasks", {"passkey"}}};
  const ssa::TrainConfig config = ssa::parse_train_config(recipe.dump(), "smollm2-ssa.json");
  EXPECT_EQ(config.ssa.layout.hierarchy_name(), "chunk16");
  EXPECT_EQ(config.ssa.layout.sink, 3);
  EXPECT_EQ(config.ssa.previous_chunks, 1);
  EXPECT_TRUE(config.ssa.layout.word_aware);
  EXPECT_EQ(config.ssa.layout.positions, ssa::PositionScheme::kRaw);

  ssa::TrainOptions options;
  options.out_dir = ssa::test::fresh_tree("smollm2_ssa_run");
  options.progress = false;
  const ssa::TrainResult r = ssa::train(config, options);
  ASSERT_EQ(r.losses.size(), 3u);
  for (double loss : r.losses) {
    EXPECT_TRUE(std::isfinite(loss));
    EXPECT_GT(loss, 5.0);  // a random model over 49,155 ids: about ln(49155) = 10.8
  }

  // The saved model: 3 gist rows after the vocabulary, and a tokenizer that
  // names them there, so decoding needs no flags.
  ssa::CheckpointInfo info;
  ssa::DecoderModel model =
      ssa::load_checkpoint(options.out_dir + "/model", ssa::LoadOptions{}, &info);
  EXPECT_EQ(model.config().vocab_size, 49155);
  EXPECT_EQ(model.config().ssa.layout.gist_token_base, 49152);
  EXPECT_EQ(model.config().ssa.layout.positions, ssa::PositionScheme::kRaw);
  EXPECT_EQ(model.config().ssa.dense_layers, 1);
  ASSERT_TRUE(info.tokenizer);
  const ssa::GistTokenIds found = ssa::find_gist_tokens(*info.tokenizer);
  ASSERT_TRUE(found[0] && found[1] && found[2]);
  EXPECT_EQ(*found[0], 49152);
  EXPECT_EQ(*found[1], 49153);
  EXPECT_EQ(*found[2], 49154);
  const ssa::ModelText text = ssa::prepare_model_text(model, options.out_dir + "/model", info, 1);
  EXPECT_EQ(text.gist_ids, std::vector<int64_t>{49152});
  EXPECT_TRUE(text.notes.empty()) << text.notes.front();  // found where they belong
  EXPECT_EQ(model.config().vocab_size, 49155);            // nothing added a second time
  // <gist> is one special token in text (ids as `tokenizers` gives them
  // after add_special_tokens).
  EXPECT_EQ(info.tokenizer->encode("a <gist> b"), (std::vector<int64_t>{81, 216, 49152, 278}));
}

}  // namespace
