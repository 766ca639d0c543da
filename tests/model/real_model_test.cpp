// The real SmolLM2-135M-Instruct checkpoint (.cache/models/, made by
// scripts/setup.sh): on English text tokenized by transformers' tokenizer,
// our full-attention logits equal transformers' (fp32, CPU), and greedy
// generation with our KV cache gives transformers' 32 tokens exactly.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/model/causal_decoding.h"
#include "engine/model/checkpoint.h"
#include "engine/model/gist_tokens.h"
#include "tests/model/hf_oracle.h"

namespace {

const std::string kModel = std::string(SSA_SOURCE_DIR) + "/.cache/models/smollm2-135m-instruct";

#define REQUIRE_SMOLLM2()                     \
  if (!std::filesystem::is_directory(kModel)) \
  GTEST_SKIP() << kModel << " is missing (scripts/setup.sh converts SmolLM2-135M-Instruct there)"

std::vector<int64_t> as_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

TEST(SmolLM2, SpecialTokensComeFromTheTokenizerFiles) {
  REQUIRE_SMOLLM2();
  ssa::CheckpointInfo info;
  ssa::LoadOptions options;
  options.dtype = at::kBFloat16;
  const ssa::DecoderModel model = ssa::load_checkpoint(kModel, options, &info);
  const ssa::ModelConfig& c = model.config();
  EXPECT_EQ(c.architecture(), "LlamaForCausalLM");
  EXPECT_FALSE(c.has_ssa_block());
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(info.stored_dtype, "bfloat16");
  // bf16 kept as stored: the weights are the file less its header (tied: no lm_head).
  EXPECT_EQ(info.weight_bytes, static_cast<uint64_t>(model.num_parameters()) * 2);
  EXPECT_GT(info.file_bytes, info.weight_bytes);
  EXPECT_LT(info.file_bytes - info.weight_bytes, 1u << 20);
  // tokenizer_config.json: bos "<|im_start|>", eos "<|im_end|>" (ids 1, 2 of
  // tokenizer.json's added tokens); generation_config.json: eos 2.
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_id, 2);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_EQ(info.vocabulary.size, 49152);
  EXPECT_EQ(info.vocabulary.find("<|endoftext|>"), 0);
  // No gist tokens in this tokenizer: prepare_gist_tokens would append 49152..49154.
  const ssa::GistTokenIds found = ssa::find_gist_tokens(info.vocabulary);
  EXPECT_FALSE(found[0] || found[1] || found[2]);
}

TEST(SmolLM2, FullAttentionLogitsEqualTransformersOnEnglishText) {
  REQUIRE_SMOLLM2();
  REQUIRE_HF_ORACLE(dir);
  const ssa::TensorMap ref = ssa::load_safetensors(dir + "/smollm2/reference.safetensors");
  const ssa::DecoderModel model = ssa::load_checkpoint(kModel);  // fp32 on the CPU
  const at::Tensor ids = ref.at("input_ids");
  at::NoGradGuard no_grad;
  const at::Tensor logits =
      model.forward(ids, at::arange(ids.size(1)).unsqueeze(0), at::Tensor())[0];
  const double diff = (logits - ref.at("logits")).abs().max().item<double>();
  const double scale = ref.at("logits").abs().max().item<double>();
  std::printf("SmolLM2-135M-Instruct, %ld tokens: max |logit diff| = %.3g (max |logit| %.1f)\n",
              ids.size(1), diff, scale);
  EXPECT_LT(diff, 1e-3);
  EXPECT_TRUE(at::equal(logits.argmax(-1), ref.at("logits").argmax(-1)));
}

TEST(SmolLM2, GreedyGenerationEqualsTransformersTokenForToken) {
  REQUIRE_SMOLLM2();
  REQUIRE_HF_ORACLE(dir);
  const ssa::TensorMap ref = ssa::load_safetensors(dir + "/smollm2/reference.safetensors");
  const ssa::DecoderModel model = ssa::load_checkpoint(kModel);
  const std::vector<int64_t> expected = as_vector(ref.at("generated"));
  ASSERT_EQ(expected.size(), 32u);
  const std::vector<int64_t> generated = ssa::generate_greedy_causal(
      model, as_vector(ref.at("input_ids")), 32, model.config().eos_token_ids);
  EXPECT_EQ(generated, expected);
}

}  // namespace
