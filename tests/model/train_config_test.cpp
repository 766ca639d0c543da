// Training configs: every value that would crash, misread or silently change
// a run is refused with one line naming the file and the key. Each case is a
// one-key change of a config that parses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "engine/train/train_config.h"

namespace {

using nlohmann::json;

json good_config() {
  return json::parse(R"({
    "model": {"model_type": "llama", "vocab_size": 259, "hidden_size": 64,
              "intermediate_size": 160, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "tie_word_embeddings": true},
    "ssa": {"hierarchy": "chunk4", "sink": 3, "previous_chunks": 1},
    "selective": {"k": 2, "top_p": 0.5},
    "data": {"seq_len": 96, "mix": {"passkey": 1, "multikey": 1}},
    "optim": {"lr": 3e-3, "warmup_ratio": 0.1, "min_lr_ratio": 0.1, "weight_decay": 0.1,
              "beta1": 0.9, "beta2": 0.95},
    "train": {"steps": 10, "batch_size": 4, "seed": 3, "threads": 1},
    "eval": {"decode_examples": 0}})");
}

// Parses `config` after setting `pointer` (a JSON pointer) to `value`.
void parse_with(const std::string& pointer, const json& value) {
  json config = good_config();
  config[json::json_pointer(pointer)] = value;
  ssa::parse_train_config(config.dump(), "t.json");
}

struct Refusal {
  std::string pointer;
  json value;
  std::string says;  // in the one-line message
};

TEST(TrainConfig, TheBaseConfigParses) {
  const ssa::TrainConfig c = ssa::parse_train_config(good_config().dump(), "t.json");
  EXPECT_EQ(c.steps, 10);
  EXPECT_DOUBLE_EQ(c.selective.selection.top_p, 0.5);
  EXPECT_EQ(c.seed, 3u);
}

TEST(TrainConfig, RefusesValuesThatWouldMisleadTheRun) {
  const std::vector<Refusal> cases = {
      {"/optim/weight_decay", -1, "optim.weight_decay: expected a number in [0,"},
      {"/optim/beta1", 5, "optim.beta1: expected a number in [0, 1)"},
      {"/optim/beta2", 1, "optim.beta2: expected a number in [0, 1)"},
      {"/optim/min_lr_ratio", -5, "optim.min_lr_ratio: expected a number in [0, 1]"},
      {"/optim/warmup_ratio", 10, "optim.warmup_ratio: expected a number in [0, 1)"},
      {"/optim/warmup_ratio", -1, "optim.warmup_ratio"},
      {"/optim/lr", 0, "optim.lr: expected > 0"},
      {"/optim/lr", "fast", "optim.lr: expected a number, got \"fast\""},
      {"/optim/eps", -1e-8, "optim.eps"},
      {"/optim/clip", -1, "optim.clip"},
      {"/selective/top_p", 7, "selective.top_p: expected a number in [0, 1]"},
      {"/selective/k", 0, "selective.k: expected an integer in 1.."},
      {"/selective/k", 2.5, "selective.k: expected an integer, got 2.5"},
      {"/selective/quarter_cap", 1, "selective.quarter_cap: expected true or false"},
      {"/train/steps", 2.5, "train.steps: expected an integer, got 2.5"},
      {"/train/steps", 0, "train.steps: expected an integer >= 1"},
      {"/train/steps", 1e23, "train.steps: expected an integer"},
      {"/train/seed", -1, "train.seed: expected an integer >= 0, got -1"},
      {"/train/seed", 1e23, "train.seed: expected an integer >= 0"},
      {"/train/threads", 100000, "train.threads: expected an integer in 0..1024"},
      {"/train/batch_size", -4, "train.batch_size"},
      {"/train/eval_every", -1, "train.eval_every"},
      {"/train/save_every", 1.5, "train.save_every"},
      {"/train/device", 1, "train.device: expected a string"},
      {"/data/seq_len", "long", "data.seq_len: expected an integer"},
      {"/data/answer_weight", -2, "data.answer_weight"},
      {"/data/fortunes_dir", 5, "data.fortunes_dir: expected a string"},
      {"/eval/decode_k", 0, "eval.decode_k"},
      {"/eval/decode_tasks", "passkey", "eval.decode_tasks: expected an array of strings"},
      {"/eval/decode_examples", -3, "eval.decode_examples"},
      {"/model/hidden_sise", 64, "model: unknown key \"hidden_sise\""},
      {"/model/ssa", json::object(), "model: unknown key \"ssa\""},
      {"/ssa/chunks", 8, "ssa: unknown key \"chunks\""},
      {"/optim/momentum", 0.9, "optim: unknown key \"momentum\""},
      {"/train/epochs", 3, "train: unknown key \"epochs\""},
      {"/selective/kk", 3, "selective: unknown key \"kk\""},
      {"/extra", 3, "config: unknown key \"extra\""},
  };
  for (const Refusal& r : cases) {
    SCOPED_TRACE(r.pointer + " = " + r.value.dump());
    try {
      parse_with(r.pointer, r.value);
      ADD_FAILURE() << "accepted";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind("t.json: ", 0), 0u) << msg;
      EXPECT_NE(msg.find(r.says), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(TrainConfig, InitMustNameACheckpoint) {
  json config = good_config();
  config.erase("model");
  config["init"] = "";
  EXPECT_THROW(ssa::parse_train_config(config.dump(), "t.json"), std::runtime_error);
  config["init"] = 3;
  EXPECT_THROW(ssa::parse_train_config(config.dump(), "t.json"), std::runtime_error);
}

}  // namespace
