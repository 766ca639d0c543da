// Decoding against full masked attention over the same stream, and
// incremental decoding against recomputing the whole stream.
#include "engine/decode/decode_session.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

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

TEST(DecodeSession, FullAttentionBaselineReadsEveryKey) {
  const LayoutSettings s = parse_hierarchy("chunk4");
  const DecoderModel model(tiny_config(1), 3);
  DecodeSettings settings;
  settings.full_attention = true;
  struct Steps : trace::Observer {
    std::vector<trace::DecodeStep> steps;
    void on_decode_step(const trace::DecodeStep& s) override { steps.push_back(s); }
  } observer;
  DecodeSession session(model, prompt_layout(s, 20, 1), settings, &observer);
  session.prefill();
  session.step(90);
  ASSERT_EQ(observer.steps.size(), 1u);
  EXPECT_EQ(observer.steps[0].keys_read, session.layout().length());
  EXPECT_EQ(observer.steps[0].keys_scored, 0);
}

}  // namespace
}  // namespace ssa
