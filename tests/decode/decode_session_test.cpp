// Decoding against full masked attention over the same stream, incremental
// decoding against recomputing the whole stream, the reference budget's count
// at every step, and dense layers against their training-mask rows.
#include "engine/decode/decode_session.h"
#include "engine/decode/baselines.h"
#include "engine/decode/generation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "engine/mask/training_mask.h"
#include "engine/model/masked_attention.h"
#include "engine/model/model_config.h"
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
// `prefix`: where the prompt's prefix ends (default: the layout's own).
at::Tensor prefix_masked_causal(const GistLayout& layout, MaskSettings mask, int64_t prefix = -1) {
  at::Tensor m = dense_training_mask(layout, mask).clone();
  const int64_t length = layout.length();
  if (prefix < 0) prefix = layout.prefix_length();
  for (int64_t q = prefix; q < length; ++q) m[q].narrow(0, 0, q + 1).fill_(true);
  return m;
}

// Greedy generation of exactly `tokens` tokens (no stop at EOS).
GenerationOptions exactly(int64_t tokens) {
  GenerationOptions options;
  options.max_tokens = tokens;
  options.stop_token = -1;
  return options;
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
    settings.dense_layers = 0;  // every layer selects (and so sees everything)
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
  for (int dense : {0, 1}) {
    DecodeSettings settings;
    settings.selection.k = 1;  // real selection: most chunks stay folded
    settings.dense_layers = dense;
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
      EXPECT_LT((incremental - recomputed).abs().max().item<double>(), 1e-5)
          << "dense " << dense << " step " << i;
    }
  }
}

struct StepLog : trace::Observer {
  std::vector<trace::DecodeStep> steps;
  std::vector<trace::Selection> selections;
  std::vector<trace::ChunkScores> scores;
  void on_decode_step(const trace::DecodeStep& s) override { steps.push_back(s); }
  void on_chunk_scores(int64_t, const trace::ChunkScores& s) override { scores.push_back(s); }
  void on_selection(int64_t step, const trace::Selection& s) override {
    EXPECT_EQ(step, static_cast<int64_t>(steps.size()));  // selections come before their step
    selections.push_back(s);
  }
};

TEST(DecodeSession, FullAttentionBaselineReadsEveryKey) {
  const LayoutSettings s = parse_hierarchy("chunk4");
  const DecoderModel model(tiny_config(1), 3);
  DecodeSettings settings;
  settings.baseline = Baseline::kFull;
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
  for (int dense : {0, 1}) {
    DecodeSettings settings;
    settings.selection.k = 2;
    settings.dense_layers = dense;
    StepLog log;
    DecodeSession session(model, prompt_layout(s, 24, 2), settings, &log);
    GenerationOptions options = exactly(3);
    options.answer_chunk = 5;
    const ByteTokenizer tokenizer(1);
    const auto tokens = generate_greedy(session, tokenizer, options, &log);
    ASSERT_EQ(tokens.size(), 3u);
    ASSERT_EQ(log.steps.size(), 3u);
    // (2 layers - dense) x 4 heads x 1 level of selections per step: a dense
    // layer reports none.
    const size_t per_step = (2 - dense) * 4;
    ASSERT_EQ(log.selections.size(), 3u * per_step) << "dense " << dense;
    for (const auto& selection : log.selections) EXPECT_GE(selection.layer, dense);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(log.steps[i].token_id, tokens[i]);
      EXPECT_EQ(log.steps[i].text, tokenizer.token_text(tokens[i]));
      bool answer_chosen = false;
      for (size_t j = i * per_step; j < (i + 1) * per_step; ++j) {
        for (int64_t gist : log.selections[j].chosen) {
          answer_chosen = answer_chosen || session.layout().chunk_id(gist) == 5;
        }
      }
      EXPECT_EQ(log.steps[i].answer_unfolded, answer_chosen ? 1 : 0) << "step " << i;
    }
  }
}

TEST(DecodeSession, GistsDuringGenerationWithEverythingChosenEqualFullMaskedAttention) {
  for (const char* hierarchy : {"chunk4", "chunk2-chunk2"}) {
    LayoutSettings s = parse_hierarchy(hierarchy);
    s.sink = 2;
    s.gists_in_generation = true;
    const DecoderModel model(tiny_config(s.num_levels()), 13);
    const GistLayout layout = prompt_layout(s, 37, 3);
    DecodeSettings settings;
    settings.selection.k = 1000;
    settings.selection.quarter_cap = false;
    settings.mask.previous_chunks = 1;
    settings.dense_layers = 0;
    DecodeSession session(model, layout, settings);
    session.prefill();
    // 10 generated tokens: gists after the 4th and 8th (chunk4), or after
    // every 2nd with a meta-gist after every 4th (chunk2-chunk2).
    std::vector<std::pair<int64_t, at::Tensor>> steps;  // last position of a step, its logits
    for (int64_t t = 70; t < 80; ++t) {
      at::Tensor logits = session.step(t);
      steps.emplace_back(session.layout().length() - 1, logits);
    }
    const GistLayout& full = session.layout();
    EXPECT_EQ(full.length(), layout.length() + 10 + (s.num_levels() == 1 ? 2 : 5 + 2)) << hierarchy;
    EXPECT_GT(session.hierarchy().count(0), GistHierarchy(layout).count(0)) << hierarchy;
    const at::Tensor expected = model.forward(
        at::tensor(full.token_ids()).unsqueeze(0), at::tensor(full.position_ids()).unsqueeze(0),
        prefix_masked_causal(full, settings.mask, layout.prefix_length()))[0];
    for (const auto& [pos, logits] : steps) {
      EXPECT_TRUE(full.is_gist(pos) || full.token_id(pos) >= 70) << hierarchy;
      EXPECT_LT((logits - expected[pos]).abs().max().item<double>(), 1e-4)
          << hierarchy << " position " << pos;
    }
  }
}

TEST(DecodeSession, GeneratedChunksBecomeCandidatesOnceTheirGistIsPlaced) {
  LayoutSettings s = parse_hierarchy("chunk4");
  s.gists_in_generation = true;
  const DecoderModel model(tiny_config(1), 17);
  const GistLayout prompt = prompt_layout(s, 40, 2);  // 10 chunks, prefix ends at 50
  DecodeSettings settings;
  settings.selection.k = 2;
  settings.mask.previous_chunks = 1;
  StepLog log;
  DecodeSession session(model, prompt, settings, &log);
  GenerationOptions options = exactly(9);
  generate_greedy(session, ByteTokenizer(1), options, &log);
  // The first 8 tokens are appended (the 9th is only produced): two gists placed.
  EXPECT_EQ(session.hierarchy().count(0), 12);
  EXPECT_EQ(session.layout().length(), prompt.length() + 8 + 2);
  // The last step (the second gist's position) scored the first generated
  // chunk's gist among its candidates; the second joins after it.
  const std::vector<int64_t>& last = log.scores.back().candidates;
  EXPECT_EQ(last.size(), 11u);
  EXPECT_GE(last.back(), prompt.length());
  EXPECT_TRUE(session.layout().is_gist(last.back()));
}

TEST(DecodeSession, GenerationGistsAfterAPromptWithoutGists) {
  // H-SSA, a prompt without gists (no document, since text no longer than the
  // sink still gets its final gists; two suffix tokens): the first gists are
  // generated ones, with no meta-gist above them yet; they are candidates all
  // the same.
  LayoutSettings s = parse_hierarchy("chunk2-chunk2");
  s.sink = 3;
  s.gists_in_generation = true;
  const DecoderModel model(tiny_config(2), 37);
  DecodeSettings settings;
  settings.selection.k = 1;
  StepLog log;
  DecodeSession session(model, prompt_layout(s, 0, 2), settings, &log);
  GenerationOptions options = exactly(8);
  EXPECT_EQ(generate_greedy(session, ByteTokenizer(2), options, &log).size(), 8u);
  // 7 appended tokens: gists after the 2nd, 4th and 6th, a meta-gist after the 4th.
  EXPECT_EQ(session.hierarchy().count(0), 3);
  EXPECT_EQ(session.hierarchy().count(1), 1);
  EXPECT_EQ(session.layout().prefix_length(), 0);  // the prompt had no gists
  EXPECT_FALSE(log.selections.empty());
}

TEST(DecodeSession, ShadowFullReportsTheMassCoverageOfEveryStep) {
  const LayoutSettings s = parse_hierarchy("chunk4");
  const DecoderModel model(tiny_config(1), 19);
  for (int k : {1, 1000}) {
    for (bool shadow : {false, true}) {
      DecodeSettings settings;
      settings.selection.k = k;
      settings.selection.quarter_cap = false;
      settings.shadow_full = shadow;
      StepLog log;
      DecodeSession session(model, prompt_layout(s, 48, 2), settings, &log);
      GenerationOptions options = exactly(3);
      generate_greedy(session, ByteTokenizer(1), options, &log);
      ASSERT_EQ(log.steps.size(), 3u);
      for (const auto& step : log.steps) {
        if (!shadow) {
          EXPECT_EQ(step.full_mass_coverage, -1);
        } else if (k == 1000) {
          EXPECT_NEAR(step.full_mass_coverage, 1.0, 1e-9);
        } else {
          EXPECT_GT(step.full_mass_coverage, 0);
          EXPECT_LT(step.full_mass_coverage, 1);
        }
      }
    }
  }
}

TEST(DecodeSession, BaselinesDecodeTheSameStream) {
  const LayoutSettings s = parse_hierarchy("chunk4");
  const DecoderModel model(tiny_config(1), 23);
  const GistLayout prompt = prompt_layout(s, 48, 2);  // 12 chunks
  GistHierarchy hierarchy(prompt);
  for (Baseline baseline : {Baseline::kGistOnly, Baseline::kRecency, Baseline::kOracle}) {
    DecodeSettings settings;
    settings.selection.k = 2;
    settings.mask.previous_chunks = 1;
    settings.baseline = baseline;
    settings.dense_layers = 0;  // the oracle scores every key in every layer
    StepLog log;
    DecodeSession session(model, prompt, settings, &log);
    GenerationOptions options = exactly(2);
    generate_greedy(session, ByteTokenizer(1), options, &log);
    ASSERT_EQ(log.steps.size(), 2u) << baseline_name(baseline);
    const int64_t query = session.layout().length() - 1;  // step 1's position
    if (baseline == Baseline::kGistOnly) {
      EXPECT_TRUE(log.selections.empty());
      EXPECT_EQ(
          log.steps[1].keys_read,
          static_cast<int64_t>(training_row_keys(session.layout(), settings.mask, query).size()));
      EXPECT_EQ(log.steps[1].keys_scored, 0);
    } else if (baseline == Baseline::kRecency) {
      // Chunk 11's raw tokens are in the query's row already (p = 1): the
      // last two chunks it can gain are 10 and 9.
      for (const auto& selection : log.selections) {
        EXPECT_EQ(selection.chosen,
                  (std::vector<int64_t>{hierarchy.gists(0)[10], hierarchy.gists(0)[9]}));
      }
    } else {
      EXPECT_EQ(log.steps[1].keys_scored, query + 1);  // the oracle looks at every key
      EXPECT_EQ(log.selections.size(), 2u * 2u * 4u);  // steps x layers x heads
    }
  }
}

TEST(DecodeSession, AutomaticBudgetFollowsTheKvLength) {
  const LayoutSettings s = parse_hierarchy("chunk2");
  const DecoderModel model(tiny_config(1), 29);  // 4 query heads, 2 KV heads
  DecodeSettings settings;
  settings.budget = BudgetMode::kAuto;
  settings.selection.quarter_cap = false;
  settings.dense_layers = 0;
  StepLog log;
  DecodeSession session(model, prompt_layout(s, 200, 1), settings, &log);  // 100 chunks
  GenerationOptions options = exactly(2);
  generate_greedy(session, ByteTokenizer(1), options, &log);
  // Step 1 is stream position 301 (200 raw + 100 gists, the suffix token, then it).
  const int64_t query = session.layout().length() - 1;
  ASSERT_EQ(query, 301);
  const int k =
      static_cast<int>((query + 1) / 2 / 2 / 2 + 1);  // n_keys / comp / heads per group / c + 1
  EXPECT_EQ(session.last_budget(), k);
  EXPECT_EQ(k, automatic_budget(query + 1, 2, 2, 2));
  ASSERT_EQ(log.selections.size(), 2u * 2u * 4u);
  for (size_t i = 8; i < 16; ++i)
    EXPECT_EQ(log.selections[i].chosen.size(), static_cast<size_t>(k));
}

// The spec's k_l (Inference 2 and 6, the reference's rule) for one level of
// one step: K = n_keys / comp / heads_per_group / c + 1 at levels 0 and 1, the
// user's k above; capped at max(1, n_l / 4) and at the candidates on offer.
int64_t reference_count(const LayoutSettings& s, int64_t n_keys, int heads_per_group, int user_k,
                        int level, int64_t n_level, int64_t candidates) {
  const int64_t comp = s.group_sizes.empty() ? s.chunk : s.chunk * s.group_sizes[0];
  const int64_t formula = n_keys / comp / heads_per_group / s.chunk + 1;
  const int64_t k = level <= 1 ? formula : user_k;
  return std::min({k, std::max<int64_t>(1, n_level / 4), candidates});
}

TEST(DecodeSession, ReferenceBudgetChoosesTheFormulasCountAtEveryStep) {
  // chunk4: the formula (n/32 + 1, about 16) binds below the cap (25).
  // chunk4-chunk2: comp 8, K = n/64 + 1 binds at both levels.
  // chunk2-chunk4-chunk2: comp = 2 x 4 (not x 2), K = n/32 + 1 = 14 binds at
  // level 0; the user's k = 2 at level 2.
  struct Case {
    const char* hierarchy;
    int64_t raw;
    int64_t level0_at_step0;  // pinned: the formula's value, not the cap's
  };
  // Prompt lengths 511, 573 and 433: k grows within the 16 steps.
  for (const Case& c : {Case{"chunk4", 408, 16}, Case{"chunk4-chunk2", 416, 9},
                        Case{"chunk2-chunk4-chunk2", 256, 14}}) {
    const LayoutSettings s = parse_hierarchy(c.hierarchy);
    ModelConfig config = tiny_config(s.num_levels());  // 4 query heads, 2 KV heads
    const DecoderModel model(config, 41);
    DecodeSettings settings;
    settings.budget = BudgetMode::kReference;
    settings.selection.k = 2;
    settings.dense_layers = 1;
    StepLog log;
    const GistLayout prompt = prompt_layout(s, c.raw, 1);
    DecodeSession session(model, prompt, settings, &log);
    GenerationOptions options = exactly(16);
    generate_greedy(session, ByteTokenizer(s.num_levels()), options, &log);
    ASSERT_EQ(log.steps.size(), 16u) << c.hierarchy;
    // Scores and selections come in the same order, one per (step, layer, head, level).
    ASSERT_EQ(log.scores.size(), log.selections.size());
    const GistHierarchy hierarchy(prompt);
    std::set<int64_t> formulas;
    size_t i = 0;
    for (int64_t step = 0; step < 16; ++step) {
      const int64_t n_keys = prompt.length() + step;  // the KV length of the step's call
      size_t rows = 0;
      for (; i < log.selections.size() && rows < size_t(1 * 4 * s.num_levels()); ++i, ++rows) {
        const trace::Selection& chosen = log.selections[i];
        const trace::ChunkScores& scored = log.scores[i];
        ASSERT_EQ(chosen.layer, 1) << "layer 0 is dense: it reports nothing";
        ASSERT_EQ(scored.level, chosen.level);
        const int64_t expected =
            reference_count(s, n_keys, 2, settings.selection.k, chosen.level,
                            hierarchy.count(chosen.level), scored.candidates.size());
        EXPECT_EQ(static_cast<int64_t>(chosen.chosen.size()), expected)
            << c.hierarchy << " step " << step << " level " << chosen.level;
        if (step == 0 && chosen.level == 0) {
          EXPECT_EQ(expected, c.level0_at_step0) << c.hierarchy;
        }
      }
      EXPECT_EQ(rows, size_t(4 * s.num_levels())) << c.hierarchy << " step " << step;
      formulas.insert(n_keys / (s.group_sizes.empty() ? s.chunk : s.chunk * s.group_sizes[0]) / 2 /
                      s.chunk);
    }
    EXPECT_EQ(i, log.selections.size());
    EXPECT_GE(formulas.size(), 2u) << c.hierarchy << ": k never changed over the steps";
    EXPECT_EQ(session.last_selection().k_at(2), 2);
  }
}

TEST(DecodeSession, ReferenceBudgetSeesThePromptsLengthThroughoutThePrompt) {
  // The reference computes the prompt in one call: every suffix position of
  // the prompt gets the k of the prompt's length, as a fixed k would give.
  // chunk4, 100 gists: the quarter cap (25) is above the formula's k (16-17).
  const LayoutSettings s = parse_hierarchy("chunk4");
  const DecoderModel model(tiny_config(1), 43);
  const GistLayout prompt = prompt_layout(s, 400, 40);  // 500 + 40 positions
  const int k = automatic_budget(prompt.length(), 4, 2, 4);
  ASSERT_EQ(k, 17);
  ASSERT_EQ(automatic_budget(prompt.prefix_length() + 1, 4, 2, 4), 16);  // own KV length
  DecodeSettings reference, fixed, automatic;
  reference.budget = BudgetMode::kReference;
  fixed.selection.k = k;
  automatic.budget = BudgetMode::kAuto;
  DecodeSession a(model, prompt, reference), b(model, prompt, fixed), c(model, prompt, automatic);
  a.prefill();
  b.prefill();
  c.prefill();
  EXPECT_TRUE(at::equal(a.prompt_logits(), b.prompt_logits()));
  // auto follows each position's own KV length: its first suffix positions choose 16.
  EXPECT_FALSE(at::equal(c.prompt_logits(), b.prompt_logits()));
  EXPECT_EQ(a.last_budget(), k);
  a.step(70);  // decoding: n_keys = the cache with the new token
  EXPECT_EQ(a.last_budget(), automatic_budget(prompt.length() + 1, 4, 2, 4));
}

// Logits of a session computed with every layer's mask spelled out: the
// first `dense` layers use the training mask (for suffix queries too), the
// others causal attention for the suffix (everything chosen).
at::Tensor dense_then_causal(const DecoderModel& model, const GistLayout& layout, MaskSettings mask,
                             int64_t dense) {
  const at::Tensor training = dense_training_mask(layout, mask);
  const at::Tensor causal = prefix_masked_causal(layout, mask);
  return model.forward_with(
      at::tensor(layout.token_ids()).unsqueeze(0), at::tensor(layout.position_ids()).unsqueeze(0),
      [&](int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
        return masked_attention(q, k, v, layer < dense ? training : causal);
      })[0];
}

TEST(DecodeSession, DenseLayersAttendToTheirTrainingMaskRow) {
  for (const char* hierarchy : {"chunk4", "chunk3-chunk2"}) {
    LayoutSettings s = parse_hierarchy(hierarchy);
    s.sink = 2;
    ModelConfig config = tiny_config(s.num_levels());
    config.num_hidden_layers = 3;
    const DecoderModel model(config, 47);
    for (int dense : {0, 1, 2}) {
      DecodeSettings settings;
      settings.selection.k = 1000;  // the selecting layers see everything
      settings.selection.quarter_cap = false;
      settings.mask.previous_chunks = 1;
      settings.dense_layers = dense;
      DecodeSession session(model, prompt_layout(s, 37, 3), settings);
      session.prefill();
      std::vector<at::Tensor> steps;
      for (int64_t t : {70, 71}) steps.push_back(session.step(t));
      const at::Tensor expected = dense_then_causal(model, session.layout(), settings.mask, dense);
      const int64_t prompt = session.layout().length() - 2;
      EXPECT_LT(
          (session.prompt_logits() - expected.narrow(0, 0, prompt)).abs().max().item<double>(),
          1e-4)
          << hierarchy << " dense " << dense;
      for (size_t i = 0; i < steps.size(); ++i)
        EXPECT_LT((steps[i] - expected[prompt + i]).abs().max().item<double>(), 1e-4)
            << hierarchy << " dense " << dense << " step " << i;
    }
  }
}

TEST(DecodeSession, AllLayersDenseIsExactlyTheGistOnlyBaseline) {
  // With every layer dense, each layer computes what gist-only computes: the
  // same row, the same arithmetic, bit for bit (1 layer: layer 0's output).
  for (int64_t layers : {1, 2}) {
    ModelConfig config = tiny_config(2);
    config.num_hidden_layers = layers;
    const DecoderModel model(config, 53);
    const GistLayout prompt = prompt_layout(parse_hierarchy("chunk2-chunk2"), 40, 3);
    for (GqaMode mode : {GqaMode::kHead, GqaMode::kGroup, GqaMode::kIndependent}) {
      DecodeSettings dense, gist_only;
      dense.mode = gist_only.mode = mode;
      dense.selection.k = gist_only.selection.k = 1;
      dense.dense_layers = static_cast<int>(layers);
      gist_only.dense_layers = 0;
      gist_only.baseline = Baseline::kGistOnly;
      StepLog log;
      DecodeSession a(model, prompt, dense, &log), b(model, prompt, gist_only);
      EXPECT_TRUE(at::equal(a.prefill(), b.prefill()));
      for (int64_t t : {70, 71, 72}) EXPECT_TRUE(at::equal(a.step(t), b.step(t)));
      EXPECT_TRUE(log.selections.empty());
      EXPECT_DOUBLE_EQ(a.last_keys_read(), b.last_keys_read());
      EXPECT_EQ(a.last_keys_scored(), 0);
    }
  }
}

TEST(DecodeSession, RejectsSettingsTheModelCannotTake) {
  const DecoderModel model(tiny_config(1), 3);  // 2 layers
  const GistLayout prompt = prompt_layout(parse_hierarchy("chunk2"), 8, 1);
  DecodeSettings settings;
  auto open = [&] { DecodeSession session(model, prompt, settings); };
  settings.dense_layers = 3;
  EXPECT_THROW(open(), std::invalid_argument);
  settings.dense_layers = -1;
  EXPECT_THROW(open(), std::invalid_argument);
  settings.dense_layers = 2;
  EXPECT_NO_THROW(open());
  settings.budget = BudgetMode::kTopP;  // without top_p
  EXPECT_THROW(open(), std::invalid_argument);
  settings.selection.top_p = 0.9;
  EXPECT_NO_THROW(open());
  settings.budget = BudgetMode::kFixed;  // top_p without the top-p budget
  EXPECT_THROW(open(), std::invalid_argument);
  settings.selection.top_p = 0;
  settings.budget = BudgetMode::kReference;
  settings.selection.quarter_cap = false;  // the reference always caps
  EXPECT_THROW(open(), std::invalid_argument);
}

TEST(DecodeSession, CheckpointsStateTheirDenseLayers) {
  ModelConfig c = tiny_config(1);  // 2 layers
  c.ssa.enabled = true;
  c.ssa.layout = parse_hierarchy("chunk2");
  nlohmann::json j = nlohmann::json::parse(model_config_to_json(c));
  EXPECT_EQ(j["ssa"]["dense_layers"], 1);
  j["ssa"].erase("dense_layers");  // absent: the reference's 1
  EXPECT_EQ(parse_model_config(j.dump(), "config.json").ssa.dense_layers, 1);
  j["ssa"]["dense_layers"] = 0;
  EXPECT_EQ(parse_model_config(j.dump(), "config.json").ssa.dense_layers, 0);
  j["ssa"]["dense_layers"] = 3;
  EXPECT_THROW(parse_model_config(j.dump(), "config.json"), std::runtime_error);
  // The shipped models were trained with every layer selecting (docs/model.md).
  for (const char* model : {"ssa-small", "hssa-small"}) {
    const std::string path = std::string(SSA_SOURCE_DIR) + "/assets/models/" + model;
    EXPECT_EQ(load_model_config(path + "/config.json").ssa.dense_layers, 0) << model;
  }
}

TEST(DecodeSession, BlockSparsePrefillEqualsTheDenseMaskPrefill) {
  for (const char* hierarchy : {"chunk4", "chunk3-chunk2", "chunk2-chunk2-chunk2"}) {
    LayoutSettings s = parse_hierarchy(hierarchy);
    s.sink = 2;
    const DecoderModel model(tiny_config(s.num_levels()), 31);
    for (int previous : {0, 1}) {
      DecodeSettings dense, sparse;
      dense.mask.previous_chunks = sparse.mask.previous_chunks = previous;
      dense.prefill = PrefillMode::kDense;
      sparse.prefill = PrefillMode::kBlocks;
      // 300 raw tokens: several 128-position query blocks of every kind.
      DecodeSession a(model, prompt_layout(s, 300, 2), dense);
      DecodeSession b(model, prompt_layout(s, 300, 2), sparse);
      a.prefill();
      b.prefill();
      EXPECT_LT((a.prompt_logits() - b.prompt_logits()).abs().max().item<double>(), 1e-4)
          << hierarchy << " p " << previous;
      EXPECT_LT((a.step(70) - b.step(70)).abs().max().item<double>(), 1e-4) << hierarchy;
    }
  }
}

TEST(DecodeSession, RunsOnCudaAsOnTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: GPU-only test";
  LayoutSettings s = parse_hierarchy("chunk4-chunk4");
  s.gists_in_generation = true;
  DecoderModel cpu_model(tiny_config(2), 21);
  DecoderModel gpu_model(tiny_config(2), 21);
  gpu_model.to(at::kCUDA);
  for (Baseline baseline : {Baseline::kNone, Baseline::kOracle, Baseline::kRecency,
                            Baseline::kGistOnly, Baseline::kFull}) {
    DecodeSettings settings;
    settings.selection.k = 2;
    settings.mask.previous_chunks = 1;
    settings.baseline = baseline;
    settings.shadow_full = true;
    DecodeSession cpu(cpu_model, prompt_layout(s, 120, 3), settings);
    DecodeSession gpu(gpu_model, prompt_layout(s, 120, 3), settings);
    double diff = (cpu.prefill() - gpu.prefill().cpu()).abs().max().item<double>();
    for (int64_t t = 90; t < 96; ++t) {  // a generation gist after the 4th token
      diff = std::max(diff, (cpu.step(t) - gpu.step(t).cpu()).abs().max().item<double>());
    }
    EXPECT_LT(diff, 1e-3) << baseline_name(baseline);
    EXPECT_EQ(cpu.last_unfolded_chunks(), gpu.last_unfolded_chunks()) << baseline_name(baseline);
    EXPECT_NEAR(cpu.last_full_mass_coverage(), gpu.last_full_mass_coverage(), 1e-4)
        << baseline_name(baseline);
    EXPECT_EQ(cpu.layout().length(), gpu.layout().length());
  }
}

}  // namespace
}  // namespace ssa
