// Selective training: with every gist chosen (cap off, k large) a suffix query
// sees every earlier position, so the forward equals causal attention in the
// suffix rows (spec, step 7); with k = 1 the suffix really attends less,
// prefix positions keep their training-mask outputs, and gradients flow.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/data/tasks.h"
#include "engine/train/selective_training.h"
#include "engine/train/train_config.h"

namespace {

struct Fixture {
  ssa::SequenceSettings seq;
  ssa::TrainingBatch batch;
  ssa::DecoderModel model;

  Fixture()
      : model(
            [] {
              ssa::ModelConfig c;
              c.vocab_size = 261, c.hidden_size = 32, c.intermediate_size = 64;
              c.num_hidden_layers = 2, c.num_attention_heads = 4, c.num_key_value_heads = 2;
              c.head_dim = 8;
              return c;
            }(),
            4) {
    seq.length = 112;
    seq.ssa.enabled = true;
    seq.ssa.layout.chunk = 4;
    seq.ssa.layout.group_sizes = {2};
    seq.ssa.layout.sink = 2;
    seq.ssa.previous_chunks = 1;
    ssa::Rng rng(1);
    std::vector<ssa::Example> examples;
    for (int i = 0; i < 2; ++i)
      examples.push_back(
          ssa::make_passkey(rng, ssa::document_budget(seq, ssa::max_suffix_bytes("passkey"))));
    batch = ssa::make_batch(examples, seq);
  }
};

TEST(SelectiveTraining, EveryGistChosenEqualsCausalSuffixRows) {
  Fixture f;
  ssa::SelectiveTraining all;
  all.enabled = true;
  all.selection.k = 1000;
  all.selection.quarter_cap = false;
  all.dense_layers = 0;  // every layer selects
  for (ssa::GqaMode mode :
       {ssa::GqaMode::kHead, ssa::GqaMode::kGroup, ssa::GqaMode::kIndependent}) {
    all.mode = mode;
    const auto hook = ssa::selective_training_hook(f.batch, ssa::MaskSettings{1}, all);
    const at::Tensor selective =
        f.model.forward_with(f.batch.token_ids, f.batch.position_ids, hook);
    at::Tensor expected_mask = f.batch.mask.clone();
    for (int64_t b = 0; b < 2; ++b) {
      const auto& layout = *f.batch.layouts[b];
      const int64_t first = layout.prefix_length(), n = layout.length();
      ASSERT_LT(first, n);
      expected_mask[b][0]
          .narrow(0, first, n - first)
          .narrow(1, 0, n)
          .copy_(at::ones({n, n}, at::kBool).tril().narrow(0, first, n - first));
    }
    const at::Tensor expected =
        f.model.forward(f.batch.token_ids, f.batch.position_ids, expected_mask);
    EXPECT_LT((selective - expected).abs().max().item<double>(), 1e-5);
  }
}

TEST(SelectiveTraining, TopOneAttendsLessKeepsThePrefixAndTrains) {
  Fixture f;
  f.model.set_requires_grad(true);
  ssa::SelectiveTraining one;
  one.enabled = true;
  one.selection.k = 1;
  one.dense_layers = 0;
  const auto hook = ssa::selective_training_hook(f.batch, ssa::MaskSettings{1}, one);
  const at::Tensor selective = f.model.forward_with(f.batch.token_ids, f.batch.position_ids, hook);
  const at::Tensor masked = f.model.forward(f.batch.token_ids, f.batch.position_ids, f.batch.mask);
  for (int64_t b = 0; b < 2; ++b) {
    const auto& layout = *f.batch.layouts[b];
    const int64_t first = layout.prefix_length(), n = layout.length();
    EXPECT_TRUE(at::allclose(selective[b].narrow(0, 0, first), masked[b].narrow(0, 0, first)));
    EXPECT_GT((selective[b].narrow(0, first, n - first) - masked[b].narrow(0, first, n - first))
                  .abs()
                  .max()
                  .item<double>(),
              1e-4);
  }
  selective.sum().backward();
  EXPECT_GT(f.model.weights()
                .at("model.layers.0.self_attn.k_proj.weight")
                .grad()
                .abs()
                .sum()
                .item<double>(),
            0.0);
}

// The one-level fast path (top-k and gathers on tensors) builds the same rows
// as the per-query loop over select_chunks / visible_keys, in every GQA mode,
// with and without the quarter cap.
TEST(SelectiveTraining, VectorizedOneLevelEqualsTheLoop) {
  Fixture f;
  f.seq.ssa.layout.group_sizes = {};  // one level: chunk4
  ssa::Rng rng(7);
  std::vector<ssa::Example> examples;
  for (int i = 0; i < 3; ++i)
    examples.push_back(
        ssa::make_passkey(rng, ssa::document_budget(f.seq, ssa::max_suffix_bytes("passkey"))));
  const ssa::TrainingBatch batch = ssa::make_batch(examples, f.seq);
  const int64_t H = 4, L = batch.token_ids.size(1), D = 8;
  const at::Tensor q = at::randn({3, H, L, D}, at::kDouble);
  const at::Tensor k = at::randn({3, 2, L, D}, at::kDouble);
  const at::Tensor v = at::randn({3, 2, L, D}, at::kDouble);
  for (ssa::GqaMode mode :
       {ssa::GqaMode::kHead, ssa::GqaMode::kGroup, ssa::GqaMode::kIndependent}) {
    for (int kk : {1, 3}) {
      for (bool cap : {true, false}) {
        ssa::SelectiveTraining loop;
        loop.enabled = true;
        loop.selection.k = kk;
        loop.selection.quarter_cap = cap;
        loop.mode = mode;
        loop.vectorized = false;
        ssa::SelectiveTraining fast = loop;
        fast.vectorized = true;
        const at::Tensor a =
            ssa::selective_training_hook(batch, ssa::MaskSettings{1}, loop)(0, q, k, v);
        const at::Tensor b =
            ssa::selective_training_hook(batch, ssa::MaskSettings{1}, fast)(0, q, k, v);
        EXPECT_LT((a - b).abs().max().item<double>(), 1e-12)
            << "mode " << static_cast<int>(mode) << " k " << kk << " cap " << cap;
      }
    }
  }
}

// Layers [0, dense_layers) attend with the training mask, suffix rows too (the
// reference's layer 0 never selects): all layers dense is the masked forward;
// one dense layer differs from none, and from all.
TEST(SelectiveTraining, DenseLayersAttendWithTheTrainingMask) {
  Fixture f;
  ssa::SelectiveTraining one;
  one.enabled = true;
  one.selection.k = 1;
  const auto forward = [&](int dense) {
    one.dense_layers = dense;
    return f.model.forward_with(f.batch.token_ids, f.batch.position_ids,
                                ssa::selective_training_hook(f.batch, ssa::MaskSettings{1}, one));
  };
  const at::Tensor masked = f.model.forward(f.batch.token_ids, f.batch.position_ids, f.batch.mask);
  EXPECT_LT((forward(2) - masked).abs().max().item<double>(), 1e-5);
  const at::Tensor first_dense = forward(1), none_dense = forward(0);
  EXPECT_GT((first_dense - none_dense).abs().max().item<double>(), 1e-4);
  EXPECT_GT((first_dense - masked).abs().max().item<double>(), 1e-4);
  // The config's ssa block sets it; 1 (the reference's) by default.
  const char* config =
      R"({"init": "x", "ssa": {"hierarchy": "chunk4"DENSE}, "selective": {"k": 2}})";
  const auto parse = [&](const std::string& dense) {
    std::string text = config;
    text.replace(text.find("DENSE"), 5, dense);
    return ssa::parse_train_config(text, "sel.json").selective.dense_layers;
  };
  EXPECT_EQ(parse(""), 1);
  EXPECT_EQ(parse(", \"dense_layers\": 0"), 0);
}

TEST(SelectiveTraining, ConfigNeedsAnSsaBlock) {
  try {
    ssa::parse_train_config(R"({"init": "x", "selective": {"k": 2}})", "sel.json");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "sel.json: selective: needs an \"ssa\" block");
  }
  const ssa::TrainConfig c = ssa::parse_train_config(
      R"({"init": "x", "ssa": {"hierarchy": "chunk4"}, "selective": {"k": 2, "gqa_mode": "group"}})",
      "sel.json");
  EXPECT_TRUE(c.selective.enabled);
  EXPECT_EQ(c.selective.selection.k, 2);
  EXPECT_EQ(c.selective.mode, ssa::GqaMode::kGroup);
}

}  // namespace
