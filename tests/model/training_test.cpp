// Training: a short run of a tiny gist-masked model lowers the loss clearly,
// and a run stopped and resumed ends with exactly the weights of a run that
// went straight through (seeded data, restored optimizer state).
#include <ATen/ATen.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <string>

#include "engine/model/checkpoint.h"
#include "engine/train/evaluation.h"
#include "engine/train/train_config.h"
#include "engine/train/trainer.h"

namespace {

namespace fs = std::filesystem;

std::string out_dir(const std::string& name) {
  return (fs::path(SSA_BINARY_DIR) / "tests" / "model" / "scratch" / name).string();
}

// The same, emptied first: train() refuses a folder that holds a run.
// (Not std::filesystem::remove_all: LibTorch exports a copy of it that crashes.)
std::string fresh_dir(const std::string& name) {
  const std::string dir = out_dir(name);
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0)
    ::nftw(
        dir.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  return dir;
}

// A smaller cousin of assets/configs/tiny-cpu.json, sized for a unit test;
// generated tasks only, so that it runs where the Debian corpora are missing.
ssa::TrainConfig tiny_config(int64_t steps, int64_t batch_size = 4, int64_t grad_accum = 1) {
  return ssa::parse_train_config(R"({
    "model": {"model_type": "llama", "vocab_size": 259, "hidden_size": 64,
              "intermediate_size": 160, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "tie_word_embeddings": true},
    "ssa": {"hierarchy": "chunk4", "sink": 3, "previous_chunks": 1},
    "data": {"seq_len": 96, "mix": {"passkey": 1, "multikey": 1}},
    "optim": {"lr": 3e-3, "warmup_ratio": 0.1},
    "train": {"steps": )" + std::to_string(steps) +
                                     R"(, "batch_size": )" + std::to_string(batch_size) +
                                     R"(, "grad_accum": )" + std::to_string(grad_accum) +
                                     R"(, "eval_every": 0, "eval_batches": 1,
              "seed": 3, "threads": 2}})",
                                 "tiny-test.json");
}

TEST(Training, ShortTinyRunLowersTheLoss) {
  ssa::TrainOptions options;
  options.out_dir = fresh_dir("short_run");
  options.progress = false;
  const ssa::TrainResult r = ssa::train(tiny_config(60), options);
  ASSERT_EQ(r.losses.size(), 60u);
  const double first = std::accumulate(r.losses.begin(), r.losses.begin() + 5, 0.0) / 5;
  const double last = std::accumulate(r.losses.end() - 5, r.losses.end(), 0.0) / 5;
  std::printf("tiny run: mean loss of steps 1-5 %.3f, of steps 56-60 %.3f, eval %.3f\n", first,
              last, r.evals.back().loss);
  EXPECT_GT(first, 4.5);         // about ln(260) = 5.56 at the start
  EXPECT_LT(last, first - 1.5);  // bytes are far from uniform: a clear drop
  EXPECT_LT(r.evals.back().loss, first - 1.5);
  // The final model is a loadable checkpoint that records its layout.
  const ssa::DecoderModel m = ssa::load_checkpoint(options.out_dir + "/model");
  EXPECT_TRUE(m.config().ssa.enabled);
  EXPECT_EQ(m.config().vocab_size, 260);  // 259 + one gist row added at the start
}

TEST(Training, StopAndResumeEqualsOneRun) {
  ssa::TrainOptions straight;
  straight.out_dir = fresh_dir("straight");
  straight.progress = false;
  const ssa::TrainResult a = ssa::train(tiny_config(6), straight);

  ssa::TrainOptions split = straight;
  split.out_dir = fresh_dir("split");
  split.stop_after = 3;
  ssa::train(tiny_config(6), split);
  split.stop_after = -1;
  split.resume = true;
  const ssa::TrainResult b = ssa::train(tiny_config(6), split);
  ASSERT_EQ(b.first_step, 3);
  ASSERT_EQ(b.losses.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.losses[3 + i], b.losses[i]) << "step " << 4 + i;
  const ssa::DecoderModel ma = ssa::load_checkpoint(straight.out_dir + "/model");
  const ssa::DecoderModel mb = ssa::load_checkpoint(split.out_dir + "/model");
  for (const auto& [name, w] : ma.weights())
    EXPECT_TRUE(at::equal(w, mb.weights().at(name))) << name;
}

// A continuation lays positions out as its init checkpoint was trained: a
// config whose ssa.position_ids disagrees is refused in one line before
// anything is written; one that agrees trains.
TEST(Training, ContinuationMustKeepTheInitPositions) {
  ssa::ModelConfig config = tiny_config(1).model;
  config.vocab_size = 260;
  config.ssa = tiny_config(1).ssa;
  config.ssa.layout.positions = ssa::PositionScheme::kStream;
  const std::string init = out_dir("stream_init");
  ssa::save_checkpoint(ssa::DecoderModel(config, 1), init);
  auto continuation = [&](const std::string& positions) {
    return ssa::parse_train_config(R"({"init": ")" + init + R"(",
      "ssa": {"hierarchy": "chunk4", "sink": 3, "previous_chunks": 1)" +
                                       positions + R"(},
      "data": {"seq_len": 96, "mix": {"passkey": 1}},
      "train": {"steps": 1, "batch_size": 2, "eval_every": 0, "eval_batches": 1, "threads": 2}})",
                                   "continue.json");
  };
  ssa::TrainOptions options;
  options.progress = false;
  // A name no earlier run used: a refused run must leave it absent.
  options.out_dir = out_dir("refused_continuation_" + std::to_string(::getpid()));
  try {
    ssa::train(continuation(""), options);
    ADD_FAILURE() << "a raw continuation of a stream checkpoint was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos);
    EXPECT_NE(what.find("continue.json: ssa.position_ids is \"raw\""), std::string::npos) << what;
    EXPECT_NE(what.find("\"stream\""), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(options.out_dir));
  options.out_dir = out_dir("stream_continuation");
  const ssa::TrainResult r = ssa::train(continuation(R"(, "position_ids": "stream")"), options);
  EXPECT_EQ(r.losses.size(), 1u);
  EXPECT_EQ(ssa::load_checkpoint(options.out_dir + "/model").config().ssa.layout.positions,
            ssa::PositionScheme::kStream);
}

// Two micro-batches of 2 accumulate to the same step as one batch of 4 (same
// examples, normalised by the step's whole target weight).
TEST(Training, AccumulationEqualsOneLargerBatch) {
  ssa::TrainOptions options;
  options.progress = false;
  options.out_dir = fresh_dir("batch4");
  const ssa::TrainResult big = ssa::train(tiny_config(2, 4, 1), options);
  options.out_dir = fresh_dir("accum2x2");
  const ssa::TrainResult accum = ssa::train(tiny_config(2, 2, 2), options);
  EXPECT_NEAR(big.losses[0], accum.losses[0], 1e-5);
  EXPECT_NEAR(big.losses[1], accum.losses[1], 1e-4);
  const ssa::DecoderModel a = ssa::load_checkpoint(out_dir("batch4") + "/model");
  const ssa::DecoderModel b = ssa::load_checkpoint(out_dir("accum2x2") + "/model");
  for (const auto& [name, w] : a.weights())
    EXPECT_LT((w - b.weights().at(name)).abs().max().item<double>(), 1e-4) << name;
}

// The periodic evaluation decodes task answers with SSA selection, as
// `ssa-workbench record` does: the answer's length in bytes is generated and
// scored; the "eval" block of a config asks for it.
TEST(Training, EvaluationDecodesAnswersWithSelection) {
  const ssa::TrainConfig c = ssa::parse_train_config(
      R"({"model": {"model_type": "llama", "vocab_size": 260, "hidden_size": 32,
                    "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                    "num_key_value_heads": 2},
          "ssa": {"hierarchy": "chunk4", "sink": 3, "previous_chunks": 1},
          "data": {"seq_len": 96, "mix": {"passkey": 1}},
          "eval": {"decode_examples": 3, "decode_k": 2}})",
      "decode-eval.json");
  EXPECT_EQ(c.decode_eval.examples, 3);
  EXPECT_EQ(c.decode_eval.k, 2);
  ssa::DecoderModel model(c.model, 5);
  model.mutable_config().ssa = c.ssa;
  const ssa::DataMix mix(c.data);
  const ssa::SequenceSettings seq{c.seq_len, c.ssa, 1.0};
  const ssa::EvalResult r =
      ssa::evaluate(model, mix, seq, ssa::EvalSettings{1, 2, 2, false, c.decode_eval}, 0);
  ASSERT_EQ(r.accuracy_decode.count("passkey"), 1u);
  EXPECT_GE(r.token_accuracy_decode.at("passkey"), 0.0);
  EXPECT_LE(r.token_accuracy_decode.at("passkey"), 1.0);
  EXPECT_NE(r.summary().find("decoded passkey"), std::string::npos) << r.summary();
  EXPECT_NE(r.to_json().find("accuracy_ssa_decode"), std::string::npos);

  ssa::Rng rng(3);
  const ssa::Example ex =
      ssa::make_passkey(rng, ssa::document_budget(seq, ssa::max_suffix_bytes("passkey")));
  ssa::DecodeSettings decode;
  decode.selection.k = 2;
  decode.mask = ssa::MaskSettings{1};
  const ssa::DecodedAnswer a = ssa::decode_answer(model, ex, decode);
  EXPECT_LE(a.answer_steps, 5);
  EXPECT_LE(a.unfolded_steps, a.answer_steps);
  EXPECT_EQ(a.exact, a.generated == ex.answer);
}

}  // namespace
