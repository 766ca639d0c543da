// config.json: RoPE in both transformers forms, sliding windows, token ids,
// and one clear line for every value that makes no sense.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "engine/model/checkpoint_error.h"
#include "engine/model/model_config.h"

namespace {

// A valid Llama config.json with `extra` keys spliced in (before the shape).
std::string config_with(const std::string& extra, const std::string& model_type = "llama") {
  return "{" + extra + (extra.empty() ? "" : ", ") + "\"model_type\": \"" + model_type +
         R"(", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
             "num_hidden_layers": 3, "num_attention_heads": 4, "head_dim": 8,
             "max_position_embeddings": 256})";
}

ssa::ModelConfig parse(const std::string& text) {
  return ssa::parse_model_config(text, "config.json");
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ssa::CheckpointError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfigRope, BothTransformersFormsGiveTheSameSettings) {
  const ssa::ModelConfig v5 = parse(config_with(
      R"("rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
          "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 128})"));
  const ssa::ModelConfig v4 = parse(config_with(
      R"("rope_theta": 500000.0, "rope_scaling": {"type": "llama3", "factor": 32.0,
          "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 128})"));
  for (const ssa::ModelConfig* c : {&v5, &v4}) {
    EXPECT_EQ(c->rope_theta, 500000.0);
    EXPECT_EQ(c->rope_scaling.type, ssa::RopeType::kLlama3);
    EXPECT_EQ(c->rope_scaling.factor, 32.0);
    EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 128);
    EXPECT_EQ(c->rope_scaling.high_freq_factor, 4.0);
  }
  // Written back (4.x keys, which both versions read) and read again.
  const ssa::ModelConfig again = parse(ssa::model_config_to_json(v5));
  EXPECT_EQ(again.rope_scaling.type, ssa::RopeType::kLlama3);
  EXPECT_EQ(again.rope_scaling.original_max_position_embeddings, 128);
  EXPECT_EQ(again.rope_theta, 500000.0);
}

TEST(ModelConfigRope, DefaultsFollowTransformers) {
  // llama3 / yarn without original_max_position_embeddings: max_position_embeddings;
  // a top-level original_max_position_embeddings wins (Phi-3 style).
  EXPECT_EQ(parse(config_with(R"("rope_scaling": {"rope_type": "yarn", "factor": 2.0})"))
                .rope_scaling.original_max_position_embeddings,
            256);
  EXPECT_EQ(parse(config_with(R"("original_max_position_embeddings": 64,
                                 "rope_scaling": {"rope_type": "yarn", "factor": 2.0,
                                                  "original_max_position_embeddings": 128})"))
                .rope_scaling.original_max_position_embeddings,
            64);
  // yarn: factor null means max / original; beta 0 means the default.
  const ssa::RopeScaling yarn =
      parse(config_with(R"("rope_scaling": {"rope_type": "yarn", "factor": null, "beta_fast": 0,
                                            "original_max_position_embeddings": 64})"))
          .rope_scaling;
  EXPECT_EQ(yarn.factor, 4.0);
  EXPECT_EQ(yarn.beta_fast, 32.0);
  EXPECT_DOUBLE_EQ(yarn.attention_scaling(), 0.1 * std::log(4.0) + 1.0);
  // rope_scaling wins over rope_parameters (transformers: `rope_scaling or ...`).
  EXPECT_EQ(parse(config_with(R"("rope_scaling": {"rope_type": "linear", "factor": 2.0},
                                 "rope_parameters": {"rope_type": "default"})"))
                .rope_scaling.type,
            ssa::RopeType::kLinear);
  // The default RoPE of these models ignores partial_rotary_factor, as transformers does.
  EXPECT_EQ(parse(config_with(R"("partial_rotary_factor": 0.5)")).rope_scaling.type,
            ssa::RopeType::kDefault);
}

TEST(ModelConfigRope, UnusableRopeIsOneLineNamingIt) {
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "su", "factor": 2.0})")),
            "config.json: rope type \"su\" is not supported (expected default, linear, dynamic, "
            "llama3 or yarn)");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8.0,
                                                     "low_freq_factor": 1.0})")),
            "config.json: rope type \"llama3\" needs \"high_freq_factor\"");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "dynamic"})")),
            "config.json: rope type \"dynamic\" needs \"factor\"");
  EXPECT_EQ(error_of(config_with(R"("partial_rotary_factor": 0.5,
                                    "rope_scaling": {"rope_type": "linear", "factor": 2.0})")),
            "config.json: partial_rotary_factor 0.5 with rope type \"linear\" is not supported "
            "(Llama, Qwen2 and Mistral rotate the whole head)");
  EXPECT_EQ(error_of(config_with(R"("rope_theta": 0)")),
            "config.json: rope_theta must be > 0, got 0");
  EXPECT_EQ(
      error_of(config_with(R"("rope_parameters": {"rope_type": "default", "rope_theta": -5})")),
      "config.json: rope_theta must be > 0, got -5");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "linear", "factor": -1})")),
            "config.json: rope factor must be > 0, got -1");
}

TEST(ModelConfig, NonsenseValuesAreRefused) {
  EXPECT_EQ(error_of(config_with(R"("rms_norm_eps": -1e-6)")),
            "config.json: rms_norm_eps must be >= 0, got -1e-06");
  EXPECT_EQ(error_of(config_with(R"("ssa": {"hierarchy": "chunk16", "sink": 3, "previouz": 1})")),
            "config.json: ssa: unknown key \"previouz\" (expected hierarchy, chunk, group_sizes, "
            "sink, word_aware, gists_in_generation, gist_token_base, previous_chunks, "
            "position_ids, dense_layers)");
  EXPECT_EQ(error_of(config_with(R"("architectures": ["Qwen2ForCausalLM"])")),
            "config.json: architecture Qwen2ForCausalLM does not match model_type \"llama\"");
  EXPECT_EQ(error_of(config_with(R"("eos_token_id": [2, 64])")),
            "config.json: eos token id 64 is outside the vocabulary (64 ids)");
  EXPECT_EQ(error_of(config_with(R"("sliding_window": 0)", "mistral")),
            "config.json: sliding_window must be a positive integer or null, got 0");
  EXPECT_EQ(error_of(config_with(R"("use_sliding_window": true, "sliding_window": 8,
                                    "layer_types": ["full_attention"])",
                                 "qwen2")),
            "config.json: layer_types must list 3 layer types");
  EXPECT_EQ(
      error_of(config_with("", "gemma")),
      "config.json: model_type \"gemma\" is not supported (expected llama, qwen2 or mistral)");
}

TEST(ModelConfig, WindowsTokensAndTheSsaBlock) {
  EXPECT_EQ(parse(config_with(R"("sliding_window": 16)", "mistral")).sliding_windows,
            (std::vector<int64_t>{16, 16, 16}));
  EXPECT_FALSE(parse(config_with(R"("sliding_window": null)", "mistral")).has_sliding_window());
  // Qwen2 applies its window only with use_sliding_window, from max_window_layers on.
  EXPECT_FALSE(parse(config_with(R"("sliding_window": 16)", "qwen2")).has_sliding_window());
  EXPECT_EQ(parse(config_with(R"("use_sliding_window": true, "sliding_window": 16,
                                 "max_window_layers": 2)",
                              "qwen2"))
                .sliding_windows,
            (std::vector<int64_t>{0, 0, 16}));
  const ssa::ModelConfig c = parse(config_with(R"("eos_token_id": [7, 9], "pad_token_id": -1)"));
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{7, 9}));
  EXPECT_EQ(c.eos_token_id, 7);
  EXPECT_EQ(c.pad_token_id, -1);  // some configs write -1 for "none"
  EXPECT_FALSE(c.has_ssa_block());
  EXPECT_TRUE(parse(config_with(R"("ssa": {"hierarchy": "chunk4", "gist_token_base": 60})"))
                  .has_ssa_block());
  EXPECT_EQ(parse(config_with("", "mistral")).architecture(), "MistralForCausalLM");
}

}  // namespace
