// prepare_gist_tokens: the reference's add_special_tokens + resize + mean
// initialisation on ids alone (ssa-spec.md, "Vocabulary").
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/model/checkpoint_error.h"
#include "engine/model/gist_tokens.h"

namespace {

ssa::ModelConfig config(int64_t vocab, bool tied) {
  ssa::ModelConfig c;
  c.vocab_size = vocab, c.hidden_size = 8, c.intermediate_size = 16, c.num_hidden_layers = 1;
  c.num_attention_heads = 2, c.num_key_value_heads = 1, c.head_dim = 4;
  c.tie_word_embeddings = tied;
  return c;
}

const ssa::GistTokenIds kNone{};

TEST(GistTokens, MissingTokensAreAppendedWithTheMeanOfThePretrainedRows) {
  for (bool tied : {true, false}) {
    ssa::DecoderModel model(config(100, tied), 3);
    const ssa::TensorMap before = model.weights();
    const ssa::GistTokens g = ssa::prepare_gist_tokens(model, 2, 100, kNone);
    EXPECT_EQ(g.all, (std::array<int64_t, 3>{100, 101, 102}));
    EXPECT_EQ(g.ids, (std::vector<int64_t>{100, 101}));  // two levels in use
    EXPECT_TRUE(g.consecutive());
    EXPECT_EQ(g.rows_added, 3);
    EXPECT_TRUE(g.warnings.empty());
    EXPECT_EQ(model.config().vocab_size, 103);
    for (const char* name : {"model.embed_tokens.weight", "lm_head.weight"}) {
      if (tied && std::string(name) == "lm_head.weight") {
        EXPECT_FALSE(model.weights().count(name));  // still tied: the head is the embedding
        continue;
      }
      const at::Tensor w = model.weights().at(name), old = before.at(name);
      ASSERT_EQ(w.size(0), 103);
      EXPECT_TRUE(at::equal(w.narrow(0, 0, 100), old)) << name;
      for (int64_t id : {100, 101, 102}) EXPECT_TRUE(at::allclose(w[id], old.mean(0))) << name;
    }
    // The pretrained ids' logits are unchanged; the model runs on the new ids.
    const at::Tensor ids = at::tensor({5, 100, 7, 101}).unsqueeze(0);
    const at::Tensor logits = model.forward(ids, at::arange(4).unsqueeze(0), at::Tensor());
    EXPECT_EQ(logits.size(-1), 103);
  }
}

TEST(GistTokens, APaddedEmbeddingIsCutAfterTheGistRowsAsTheReferenceDoes) {
  // Qwen2: 152064 rows for a tokenizer of 151646; here 110 rows for 100.
  ssa::DecoderModel model(config(110, false), 4);
  const at::Tensor old = model.weights().at("lm_head.weight").clone();
  const ssa::GistTokens g = ssa::prepare_gist_tokens(model, 1, 100, kNone);
  EXPECT_EQ(g.ids, std::vector<int64_t>{100});
  EXPECT_EQ(g.rows_added, 0);
  EXPECT_EQ(g.rows_removed, 7);
  ASSERT_EQ(g.warnings.size(), 1u);
  EXPECT_EQ(g.warnings[0],
            "the embedding had 110 rows for a tokenizer of 100 tokens: cut to 103 (tokenizer + "
            "gist tokens), as resize_token_embeddings does");
  const at::Tensor w = model.weights().at("lm_head.weight");
  ASSERT_EQ(w.size(0), 103);
  EXPECT_TRUE(at::allclose(w[101], old.narrow(0, 0, 100).mean(0)));  // not the padding rows
}

TEST(GistTokens, TokensTheTokenizerHasAreUsedAsTheyAre) {
  ssa::DecoderModel model(config(103, true), 5);
  const at::Tensor before = model.weights().at("model.embed_tokens.weight").clone();
  const ssa::GistTokens g = ssa::prepare_gist_tokens(model, 3, 103, {100, 101, 102});
  EXPECT_EQ(g.ids, (std::vector<int64_t>{100, 101, 102}));
  EXPECT_EQ(g.rows_added, 0);
  EXPECT_TRUE(g.warnings.empty());
  EXPECT_TRUE(at::equal(model.weights().at("model.embed_tokens.weight"), before));

  // Elsewhere than right after the base vocabulary: used, and reported.
  const ssa::GistTokens moved = ssa::prepare_gist_tokens(model, 3, 103, {5, 6, 102});
  EXPECT_EQ(moved.ids, (std::vector<int64_t>{5, 6, 102}));
  EXPECT_FALSE(moved.consecutive());
  ASSERT_EQ(moved.warnings.size(), 1u);
  EXPECT_EQ(moved.warnings[0],
            "gist tokens not right after the base vocabulary (100 tokens, so expected ids "
            "100..102): <gist> is id 5, <Gist> is id 6");
  EXPECT_EQ(model.config().vocab_size, 103);
}

TEST(GistTokens, SomeFoundSomeAppended) {
  ssa::DecoderModel model(config(101, false), 6);
  const ssa::GistTokens g = ssa::prepare_gist_tokens(model, 3, 101, {100, std::nullopt, {}});
  EXPECT_EQ(g.all, (std::array<int64_t, 3>{100, 101, 102}));
  EXPECT_EQ(g.rows_added, 2);
  EXPECT_EQ(model.config().vocab_size, 103);
}

TEST(GistTokens, IdsOutsideTheEmbeddingAreErrors) {
  ssa::DecoderModel model(config(100, true), 7);
  try {
    ssa::prepare_gist_tokens(model, 1, 100, {100, 101, 102});
    FAIL() << "no error";
  } catch (const ssa::CheckpointError& e) {
    EXPECT_STREQ(e.what(), "the tokenizer's <gist> is id 100, outside the embedding (100 rows)");
  }
  EXPECT_THROW(ssa::prepare_gist_tokens(model, 1, 120, kNone), ssa::CheckpointError);
  EXPECT_THROW(ssa::prepare_gist_tokens(model, 4, 100, kNone), std::invalid_argument);
}

}  // namespace
