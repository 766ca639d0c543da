// Decoding against full masked attention over the same stream, and
// incremental decoding against recomputing the whole stream.
#include "engine/decode/decode_session.h"
#include "engine/decode/generation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "engine/mask/training_mask.h"
#include "tests/engine/layout_names.h"

namespace ssa {
namespace {

ModelConfig tiny_config(int levels) {
  ModelConfig c;
  c.vocab_size = 259 + levels;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.rope_theta = 10000;
  c.rms_norm_eps = 1e-6;
  c.tie_word_embeddings = true;
  return c;
}

GistLayout prompt_layout(const LayoutSettings& settings, int64_t raw, int suffix) {
  GistLayout layout(settings, testing::iota_tokens(raw));
  for (int i = 0; i < suffix; ++i) layout.append(65 + i);
  return layout;
}

// Training-mask rows for the prefix, causal rows for the suffix: what
// selective attention must reduce to when every candidate is chosen.
at::Tensor prefix_masked_causal(const GistLayout& layout, MaskSettings mask) {
  at::Tensor m = dense_training_mask(layout, mask).clone();
  const int64_t length = layout.length();
  for (int64_t q = layout.prefix_length(); q < length; ++q) m[q].narrow(0, 0, q + 1).fill_(true);
  return m;
}

TEST(DecodeSession, ChoosingEveryChunkEqualsFullMaskedAttention) {
  for (const char* hierarchy : {"chunk4", "chunk3-chunk2"}) {
    LayoutSettings s = parse_hierarchy(hierarchy);
    s.sink = 2;
    const DecoderModel model(tiny_config(s.num_levels()), 11);
    const GistLayout layout = prompt_layout(s, 37, 4);
    DecodeSettings settings;
    settings.selection.k = 1000;
    settings.selection.quarter_cap = false;
    settings.mask.previous_chunks = 1;
    DecodeSession session(model, layout, settings);
    session.prefill();
    std::vector<int64_t> generated = {70, 71, 72};
    std::vector<at::Tensor> step_logits;
    for (int64_t t : generated) step_logits.push_back(session.step(t));

    // The same stream, all at once, with the reference mask.
    const GistLayout& full = session.layout();
    const at::Tensor ids = at::tensor(full.token_ids()).unsqueeze(0);
    const at::Tensor pos = at::tensor(full.position_ids()).unsqueeze(0);
    const at::Tensor expected =
        model.forward(ids, pos, prefix_masked_causal(full, settings.mask))[0];
    const int64_t prompt = layout.length();
    const double prompt_diff =
        (session.prompt_logits() - expected.narrow(0, 0, prompt)).abs().max().item<double>();
    EXPECT_LT(prompt_diff, 1e-4) << hierarchy;
    for (size_t i = 0; i < generated.size(); ++i) {
      const double diff = (step_logits[i] - expected[prompt + i]).abs().max().item<double>();
      EXPECT_LT(diff, 1e-4) << hierarchy << " step " << i;
    }
  }
}

TEST(DecodeSession, IncrementalDecodingEqualsRecomputingTheStream) {
  const LayoutSettings s = parse_hierarchy("chunk2-chunk2");
  const DecoderModel model(tiny_config(2), 5);
  DecodeSettings settings;
  settings.selection.k = 1;  // real selection: most chunks stay folded
  DecodeSession session(model, prompt_layout(s, 30, 2), settings);
  session.prefill();
  std::vector<int64_t> tokens = {80, 81, 82, 83};
  for (size_t i = 0; i < tokens.size(); ++i) {
    const at::Tensor incremental = session.step(tokens[i]);
    // A fresh session whose prompt already holds every token so far.
    GistLayout again = prompt_layout(s, 30, 2);
    for (size_t j = 0; j <= i; ++j) again.append(tokens[j]);
    DecodeSession fresh(model, again, settings);
    const at::Tensor recomputed = fresh.prefill();
    EXPECT_LT((incremental - recomputed).abs().max().item<double>(), 1e-5) << "step " << i;
  }
}

struct StepLog : trace::Observer {
  std::vector<trace::DecodeStep> steps;
  std::vector<trace::Selection> selections;
  void on_decode_step(const trace::DecodeStep& s) override { steps.push_back(s); }
  void on_selection(int64_t step, const trace::Selection& s) override {
    EXPECT_EQ(step, static_cast<int64_t>(steps.size()));  // selections come before their step
    selections.push_back(s);
  }
};

TEST(DecodeSession, FullAttentionBaselineReadsEveryKey) {
  const LayoutSettings s = parse_hierarchy("chunk4");
  const DecoderModel model(tiny_config(1), 3);
  DecodeSettings settings;
  settings.full_attention = true;
  StepLog log;
  DecodeSession session(model, prompt_layout(s, 20, 1), settings, &log);
  GenerationOptions options;
  options.max_tokens = 2;
  generate_greedy(session, ByteTokenizer(1), options, &log);
  ASSERT_EQ(log.steps.size(), 2u);
  EXPECT_EQ(log.steps[1].keys_read, session.layout().length());
  EXPECT_EQ(log.steps[1].keys_scored, 0);
  EXPECT_TRUE(log.selections.empty());
}

TEST(DecodeSession, GenerationReportsProducedTokensAndTheAnswerChunk) {
  const LayoutSettings s = parse_hierarchy("chunk2");
  const DecoderModel model(tiny_config(1), 9);
  DecodeSettings settings;
  settings.selection.k = 2;
  StepLog log;
  DecodeSession session(model, prompt_layout(s, 24, 2), settings, &log);
  GenerationOptions options;
  options.max_tokens = 3;
  options.stop_token = -1;
  options.answer_chunk = 5;
  const ByteTokenizer tokenizer(1);
  const auto tokens = generate_greedy(session, tokenizer, options, &log);
  ASSERT_EQ(tokens.size(), 3u);
  ASSERT_EQ(log.steps.size(), 3u);
  // 2 layers x 4 heads x 1 level of selections per step.
  EXPECT_EQ(log.selections.size(), 3u * 8u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(log.steps[i].token_id, tokens[i]);
    EXPECT_EQ(log.steps[i].text, tokenizer.token_text(tokens[i]));
    bool answer_chosen = false;
    for (size_t j = i * 8; j < (i + 1) * 8; ++j) {
      for (int64_t gist : log.selections[j].chosen) {
        answer_chosen = answer_chosen || session.layout().chunk_id(gist) == 5;
      }
    }
    EXPECT_EQ(log.steps[i].answer_unfolded, answer_chosen ? 1 : 0) << "step " << i;
  }
}

TEST(DecodeSession, RunsOnCudaAsOnTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  const LayoutSettings s = parse_hierarchy("chunk4-chunk4");
  DecoderModel cpu_model(tiny_config(2), 21);
  DecoderModel gpu_model(tiny_config(2), 21);
  gpu_model.to(at::kCUDA);
  DecodeSettings settings;
  settings.selection.k = 2;
  settings.mask.previous_chunks = 1;
  DecodeSession cpu(cpu_model, prompt_layout(s, 120, 3), settings);
  DecodeSession gpu(gpu_model, prompt_layout(s, 120, 3), settings);
  double diff = (cpu.prefill() - gpu.prefill().cpu()).abs().max().item<double>();
  for (int64_t t : {90, 91, 92}) {
    diff = std::max(diff, (cpu.step(t) - gpu.step(t).cpu()).abs().max().item<double>());
  }
  EXPECT_LT(diff, 1e-3);
  EXPECT_EQ(cpu.last_unfolded_chunks(), gpu.last_unfolded_chunks());
}

}  // namespace
}  // namespace ssa
