// The model is the real architecture: small random Llama, Qwen2 and Mistral
// models made by transformers (scripts/hf_parity.py), one per RoPE type
// (default, linear, dynamic, llama3, yarn), saved in fp32, bf16 or fp16, in
// one file or in shards, with 4.x or 5.x config keys, some with sliding
// windows, load through our loader and give transformers' logits: one
// forward over positions with repeats and gaps, and an incremental run on a
// KV cache. fp32 on the CPU (and on CUDA when present).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "engine/model/causal_decoding.h"
#include "engine/model/checkpoint.h"
#include "engine/model/masked_attention.h"
#include "tests/model/hf_oracle.h"

namespace {

struct Loaded {
  ssa::DecoderModel model;
  ssa::TensorMap ref;
};

Loaded load(const std::string& dir, const std::string& name, c10::Device device) {
  const std::string model_dir = dir + "/" + name;
  return {ssa::load_checkpoint(model_dir, device),
          ssa::load_safetensors(model_dir + "/reference.safetensors")};
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kCPU, at::kFloat) - b).abs().max().item<double>();
}

// Full-sequence logits: without a mask (SDPA causal, windows added per
// layer), and with an explicit causal mask.
void expect_forward_parity(const std::string& name, c10::Device device) {
  REQUIRE_HF_ORACLE(dir);
  Loaded l = load(dir, name, device);
  const at::Tensor ids = l.ref.at("input_ids"), pos = l.ref.at("position_ids");
  at::NoGradGuard no_grad;
  const double plain = max_diff(l.model.forward(ids, pos, at::Tensor()), l.ref.at("logits"));
  const at::Tensor causal = ssa::causal_mask(ids.size(1), device);
  const double masked = max_diff(l.model.forward(ids, pos, causal), l.ref.at("logits"));
  std::printf("hf parity %s on %s: max |logit diff| = %.3g (no mask), %.3g (causal mask)\n",
              name.c_str(), device.str().c_str(), plain, masked);
  EXPECT_LT(plain, 1e-4);
  EXPECT_LT(masked, 1e-4);
}

class HfParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HfParity, LogitsMatchTransformersOnCpu) {
  expect_forward_parity(GetParam(), c10::kCPU);
}

TEST_P(HfParity, LogitsMatchTransformersOnCuda) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  // fp32 matmuls must not drop to TF32 for a 1e-4 comparison.
  at::globalContext().setAllowTF32CuBLAS(false);
  expect_forward_parity(GetParam(), c10::Device(c10::kCUDA, 0));
}

// A prefill of 20 tokens, then 20 calls of one token each on the KV cache,
// against transformers' DynamicCache run (dynamic NTK re-scales per call).
TEST_P(HfParity, IncrementalDecodingMatchesTransformersCache) {
  REQUIRE_HF_ORACLE(dir);
  Loaded l = load(dir, GetParam(), c10::kCPU);
  const at::Tensor ids = l.ref.at("step_ids")[0];
  const at::Tensor expected = l.ref.at("step_logits");
  const int64_t prefill = 20;
  at::NoGradGuard no_grad;
  ssa::CausalDecoder decoder(l.model);
  std::vector<int64_t> all(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
  std::vector<at::Tensor> logits{
      decoder.extend(std::vector<int64_t>(all.begin(), all.begin() + prefill))};
  for (size_t t = prefill; t < all.size(); ++t) logits.push_back(decoder.extend({all[t]}));
  const double diff = max_diff(at::cat(logits, 0), expected);
  std::printf("hf parity %s, KV-cache decoding: max |logit diff| = %.3g over %ld positions\n",
              GetParam().c_str(), diff, expected.size(0));
  EXPECT_EQ(decoder.length(), static_cast<int64_t>(all.size()));
  EXPECT_LT(diff, 1e-4);
}

// Our rotary frequencies are transformers' bit for bit, at the model's
// construction and for the long call (where dynamic NTK has re-scaled).
TEST_P(HfParity, RopeFrequenciesAreTransformersBitForBit) {
  REQUIRE_HF_ORACLE(dir);
  Loaded l = load(dir, GetParam(), c10::kCPU);
  const ssa::ModelConfig& c = l.model.config();
  EXPECT_EQ(GetParam().substr(GetParam().find('-') + 1), ssa::rope_type_name(c.rope_scaling.type));
  const at::Tensor initial = ssa::rope_inv_freq(c.rope_theta, c.rope_scaling, c.head_dim,
                                                c.max_position_embeddings, 0, c10::kCPU);
  const int64_t long_len = l.ref.at("long_seq_len").item<int64_t>();
  const at::Tensor longer = ssa::rope_inv_freq(c.rope_theta, c.rope_scaling, c.head_dim,
                                               c.max_position_embeddings, long_len - 1, c10::kCPU);
  EXPECT_TRUE(at::equal(initial, l.ref.at("inv_freq"))) << initial << l.ref.at("inv_freq");
  EXPECT_TRUE(at::equal(longer, l.ref.at("inv_freq_long"))) << longer << l.ref.at("inv_freq_long");
  EXPECT_FLOAT_EQ(static_cast<float>(c.rope_scaling.attention_scaling()),
                  l.ref.at("attention_scaling").item<float>());
}

INSTANTIATE_TEST_SUITE_P(ArchitecturesAndRopeTypes, HfParity,
                         ::testing::Values("llama-default", "llama-linear", "llama-dynamic",
                                           "llama-llama3", "llama-yarn", "qwen2-default",
                                           "qwen2-linear", "qwen2-dynamic", "qwen2-llama3",
                                           "qwen2-yarn", "mistral-default", "mistral-linear",
                                           "mistral-dynamic", "mistral-llama3", "mistral-yarn"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

// The published configs of the reference models' bases: Llama-3.2-1B
// (llama3 RoPE), Qwen2-7B-Instruct, and that with its documented YaRN.
class RealConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(RealConfig, RopeFrequenciesAreTransformersBitForBit) {
  REQUIRE_HF_ORACLE(dir);
  const std::string path = dir + "/configs/" + GetParam();
  const ssa::ModelConfig c = ssa::load_model_config(path + "/config.json");
  const ssa::TensorMap ref = ssa::load_safetensors(path + "/reference.safetensors");
  const at::Tensor inv_freq = ssa::rope_inv_freq(c.rope_theta, c.rope_scaling, c.head_dim,
                                                 c.max_position_embeddings, 0, c10::kCPU);
  EXPECT_TRUE(at::equal(inv_freq, ref.at("inv_freq"))) << inv_freq << ref.at("inv_freq");
  EXPECT_FLOAT_EQ(static_cast<float>(c.rope_scaling.attention_scaling()),
                  ref.at("attention_scaling").item<float>());
  EXPECT_FALSE(c.has_sliding_window());  // Qwen2: use_sliding_window false
  EXPECT_FALSE(c.has_ssa_block());
}

INSTANTIATE_TEST_SUITE_P(ReferenceBases, RealConfig,
                         ::testing::Values("llama-3.2-1b", "qwen2-7b-instruct",
                                           "qwen2-7b-instruct-yarn"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (ch == '-' || ch == '.') ch = '_';
                           return name;
                         });

// What the oracle's files say the loader must have read from them.
TEST(HfCheckpoints, ShardsDtypesWindowsAndKeysAreReadAsSaved) {
  REQUIRE_HF_ORACLE(dir);
  ssa::CheckpointInfo info;
  const ssa::DecoderModel sharded =
      ssa::load_checkpoint(dir + "/llama-linear", ssa::LoadOptions{}, &info);
  EXPECT_EQ(info.weight_files.size(), 6u);  // save_pretrained's shards of 40 KB
  EXPECT_EQ(info.stored_dtype, "bfloat16");
  EXPECT_EQ(sharded.config().rope_scaling.factor, 2.5);  // from the 4.x rope_scaling key
  EXPECT_TRUE(sharded.config().tie_word_embeddings);
  EXPECT_EQ(ssa::load_checkpoint(dir + "/llama-llama3", ssa::LoadOptions{}, &info)
                .config()
                .rope_scaling.original_max_position_embeddings,
            64);
  EXPECT_EQ(info.stored_dtype, "float16");
  EXPECT_EQ(ssa::load_checkpoint(dir + "/qwen2-default").config().sliding_windows,
            (std::vector<int64_t>{0, 12}));  // use_sliding_window from max_window_layers 1
  EXPECT_EQ(ssa::load_checkpoint(dir + "/mistral-default").config().sliding_windows,
            (std::vector<int64_t>{12, 12}));
  EXPECT_FALSE(ssa::load_checkpoint(dir + "/mistral-linear").config().has_sliding_window());
  const ssa::ModelConfig yarn = ssa::load_checkpoint(dir + "/mistral-yarn").config();
  EXPECT_EQ(yarn.rope_scaling.attention_scaling(), 1.3);
  EXPECT_FALSE(yarn.rope_scaling.truncate);
  EXPECT_EQ(yarn.rope_scaling.beta_fast, 16);
  EXPECT_FALSE(yarn.has_ssa_block());
}

}  // namespace
