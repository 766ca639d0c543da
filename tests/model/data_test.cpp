// Data and batches: generated tasks know where their answers are and are
// deterministic; corpora split train / held-out; batches carry the layout's
// training mask, next-token targets that skip gists, and answer spans.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "engine/data/data_mix.h"
#include "engine/layout/gist_layout.h"
#include "engine/layout/word_starts.h"
#include "engine/mask/training_mask.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/train/train_config.h"
#include "engine/train/training_batch.h"

namespace {

// Stand-in running text, so that the generators' tests need no Debian package.
const ssa::TextCorpus& filler() {
  static const ssa::TextCorpus corpus = [] {
    ssa::TextCorpus c{"filler", {}};
    for (int i = 0; i < 30; ++i)
      c.documents.push_back("Line " + std::to_string(i) + " of some text.\nAnd another line.\n");
    return c;
  }();
  return corpus;
}

TEST(Tasks, AnswersAreWhereTheySayAndDocumentsHaveTheAskedSize) {
  for (uint64_t seed = 0; seed < 60; ++seed) {
    for (int64_t bytes : {90, 200, 700}) {
      ssa::Rng rng(seed);
      std::vector<ssa::Example> examples{ssa::make_passkey(rng, bytes),
                                         ssa::make_multikey(rng, bytes)};
      // Two documents of about 80 bytes at least: shorter is refused.
      if (bytes >= 200)
        examples.push_back(ssa::make_multidoc(rng, bytes, filler(), ssa::Split::kTrain));
      else
        EXPECT_THROW(ssa::make_multidoc(rng, bytes, filler(), ssa::Split::kTrain),
                     std::invalid_argument);
      for (const ssa::Example& ex : examples) {
        ASSERT_EQ(static_cast<int64_t>(ex.document.size()), bytes) << ex.kind;
        ASSERT_GE(ex.answer_begin, 0) << ex.kind;
        EXPECT_EQ(ex.document.substr(ex.answer_begin, ex.answer_end - ex.answer_begin), ex.answer)
            << ex.kind << " seed " << seed;
        EXPECT_LE(static_cast<int64_t>(ex.prompt.size() + ex.answer.size() + 1),
                  ssa::max_suffix_bytes(ex.kind));
      }
    }
  }
}

TEST(Tasks, MultikeyAsksAKeyThatOccursOnce) {
  ssa::Rng rng(5);
  const ssa::Example ex = ssa::make_multikey(rng, 400);
  const std::string key = ex.prompt.substr(ex.prompt.find("key ") + 4, 4);
  const size_t first = ex.document.find("key " + key + ":");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(ex.document.find("key " + key + ":", first + 1), std::string::npos);
}

TEST(DataMix, SameSeedSameExamplesOtherSeedOthers) {
  ssa::DataMixSettings s;
  s.weights = {{"passkey", 1}, {"multikey", 1}};  // no corpus needed
  s.seed = 11;
  const ssa::DataMix a(s), b(s);
  s.seed = 12;
  const ssa::DataMix c(s);
  const auto budget = [](int64_t suffix) { return 300 - suffix; };
  std::set<std::string> kinds;
  int differ = 0;
  for (uint64_t i = 0; i < 30; ++i) {
    const ssa::Example x = a.sample(ssa::Split::kTrain, 7, i, budget);
    const ssa::Example y = b.sample(ssa::Split::kTrain, 7, i, budget);
    EXPECT_EQ(x.document + x.prompt + x.answer, y.document + y.prompt + y.answer);
    differ += x.document != c.sample(ssa::Split::kTrain, 7, i, budget).document;
    kinds.insert(x.kind);
  }
  EXPECT_GT(differ, 25);
  EXPECT_EQ(kinds.size(), 2u);  // the mix really mixes
}

TEST(TextCorpus, HeldOutSamplesComeFromHeldOutDocumentsOnly) {
  ssa::TextCorpus corpus{"t", {}};
  for (int i = 0; i < 40; ++i) corpus.documents.push_back("<" + std::to_string(i) + ">");
  ssa::Rng rng(3);
  for (int k = 0; k < 50; ++k) {
    for (auto split : {ssa::Split::kTrain, ssa::Split::kHeldOut}) {
      const std::string text = corpus.sample(split, rng, 4);
      const int doc = std::atoi(text.c_str() + 1);
      EXPECT_EQ(ssa::TextCorpus::held_out(doc), split == ssa::Split::kHeldOut) << text;
    }
  }
}

TEST(TextCorpus, FortunesAndBibleAreRead) {
  if (!std::filesystem::is_directory("/usr/share/games/fortunes"))
    GTEST_SKIP() << "/usr/share/games/fortunes is missing (package fortunes)";
  EXPECT_GT(ssa::load_fortunes().documents.size(), 5000u);
  if (std::system("command -v bible >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "the `bible` program (package bible-kjv) is not installed";
  const ssa::TextCorpus bible = ssa::load_bible();
  EXPECT_EQ(bible.documents.size(), 1189u);  // chapters of the KJV
  EXPECT_EQ(bible.documents.front().rfind("Genesis 1\n1 In the beginning God created", 0), 0u);
}

ssa::SequenceSettings ssa_sequence(int64_t length) {
  ssa::SequenceSettings s;
  s.length = length;
  s.ssa.enabled = true;
  s.ssa.layout.chunk = 4;
  s.ssa.layout.group_sizes = {2};
  s.ssa.layout.sink = 3;
  s.ssa.previous_chunks = 1;
  s.answer_weight = 3.0;
  return s;
}

TEST(TrainingBatch, StreamsMasksTargetsAndAnswers) {
  const ssa::SequenceSettings seq = ssa_sequence(160);
  ssa::Rng rng(9);
  const int64_t doc = ssa::document_budget(seq, ssa::max_suffix_bytes("passkey"));
  std::vector<ssa::Example> examples{
      ssa::make_passkey(rng, doc),
      ssa::make_text(rng, ssa::document_budget(seq, 0), filler(), ssa::Split::kTrain)};
  const ssa::TrainingBatch batch = ssa::make_batch(examples, seq);
  const ssa::ByteTokenizer tok(2);
  ASSERT_EQ(batch.answers.size(), 1u);

  // Row 0 is exactly the layout of [BOS] + document, then the suffix.
  std::vector<int64_t> raw{ssa::ByteTokenizer::kBos};
  for (int64_t t : tok.encode(examples[0].document)) raw.push_back(t);
  ssa::GistLayout layout(seq.ssa.layout, raw);
  for (int64_t t : tok.encode(examples[0].prompt + examples[0].answer)) layout.append(t);
  layout.append(ssa::ByteTokenizer::kEos);
  const int64_t n = layout.length();
  ASSERT_LE(n, seq.length);
  for (int64_t t = 0; t < n; ++t)
    ASSERT_EQ(batch.token_ids[0][t].item<int64_t>(), layout.token_id(t));
  const at::Tensor expected = ssa::dense_training_mask(layout, ssa::MaskSettings{1});
  EXPECT_TRUE(at::equal(batch.mask[0][0].narrow(0, 0, n).narrow(1, 0, n), expected));
  // Padding: no targets, sees only itself, is seen by no one.
  EXPECT_EQ(batch.labels[0].narrow(0, n - 1, seq.length - n + 1).ne(-100).sum().item<int64_t>(), 0);
  EXPECT_EQ(batch.mask[0][0].narrow(1, n, seq.length - n).sum().item<int64_t>(), seq.length - n);

  // Targets: the next token unless it is a gist; gists are never targets.
  int64_t skipped = 0;
  for (int64_t t = 0; t + 1 < n; ++t) {
    const int64_t label = batch.labels[0][t].item<int64_t>();
    if (layout.is_gist(t + 1)) {
      EXPECT_EQ(label, -100);
      ++skipped;
    } else {
      EXPECT_EQ(label, layout.token_id(t + 1));
    }
  }
  EXPECT_EQ(skipped, layout.num_gists(0) + layout.num_gists(1));

  // The answer span predicts the answer bytes, weighted, and knows its chunk.
  const ssa::AnswerSpan& a = batch.answers[0];
  std::string predicted;
  for (int64_t t = a.begin; t < a.end; ++t) {
    predicted += static_cast<char>(batch.labels[0][t].item<int64_t>());
    EXPECT_FLOAT_EQ(batch.loss_weights[0][t].item<float>(), 3.0f);
  }
  EXPECT_EQ(predicted, examples[0].answer);
  EXPECT_EQ(a.answer_chunk, layout.chunk_id(layout.stream_index(1 + examples[0].answer_begin)));

  // answer_first_weight: the first answer token alone gets its own weight.
  ssa::SequenceSettings first = seq;
  first.answer_first_weight = 7.0;
  const ssa::TrainingBatch weighted = ssa::make_batch(examples, first);
  EXPECT_FLOAT_EQ(weighted.loss_weights[0][a.begin].item<float>(), 7.0f);
  EXPECT_FLOAT_EQ(weighted.loss_weights[0][a.begin + 1].item<float>(), 3.0f);

  // The full-attention variant: same stream, causal mask.
  const ssa::TrainingBatch full = ssa::make_batch(examples, seq, true);
  EXPECT_TRUE(at::equal(full.token_ids, batch.token_ids));
  EXPECT_TRUE(at::equal(full.mask[0][0].narrow(0, 0, n).narrow(1, 0, n),
                        at::ones({n, n}, at::kBool).tril()));
}

// RoPE positions are the layout's (spec, "Position ids"): under `raw` gists
// do not advance them, under `stream` they are stream indices; padding
// continues from the last. Word-aware layouts place gists at word starts.
TEST(TrainingBatch, PositionsAndWordStartsAreTheLayouts) {
  ssa::SequenceSettings seq = ssa_sequence(200);
  ssa::Rng rng(4);
  const std::vector<ssa::Example> examples{
      ssa::make_text(rng, ssa::document_budget(seq, 0), filler(), ssa::Split::kTrain)};
  const ssa::ByteTokenizer tok(2);
  std::vector<int64_t> raw{ssa::ByteTokenizer::kBos};
  for (int64_t t : tok.encode(examples[0].document)) raw.push_back(t);
  for (const auto scheme : {ssa::PositionScheme::kRaw, ssa::PositionScheme::kStream}) {
    seq.ssa.layout.positions = scheme;
    for (const bool word_aware : {false, true}) {
      seq.ssa.layout.word_aware = word_aware;
      const ssa::TrainingBatch batch = ssa::make_batch(examples, seq);
      const auto text = [&](int64_t id) { return tok.token_text(id); };
      ssa::GistLayout layout(seq.ssa.layout, raw,
                             word_aware ? ssa::word_starts(raw, text) : std::vector<bool>{});
      for (int64_t t : tok.encode(examples[0].prompt + examples[0].answer)) layout.append(t);
      if (!examples[0].answer.empty()) layout.append(ssa::ByteTokenizer::kEos);
      const int64_t n = layout.length();
      std::vector<int64_t> expected = layout.position_ids();
      for (int64_t t = n; t < seq.length; ++t) expected.push_back(expected.back() + 1);
      const at::Tensor row = batch.position_ids[0].contiguous();
      EXPECT_EQ(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + seq.length),
                expected);
      for (int64_t t = 0; t < n; ++t)
        ASSERT_EQ(batch.token_ids[0][t].item<int64_t>(), layout.token_id(t)) << t;
      EXPECT_TRUE(at::equal(batch.mask[0][0].narrow(0, 0, n).narrow(1, 0, n),
                            ssa::dense_training_mask(layout, ssa::MaskSettings{1})));
      if (scheme == ssa::PositionScheme::kStream) {
        EXPECT_TRUE(at::equal(batch.position_ids[0], at::arange(seq.length, at::kLong)));
      } else {
        ASSERT_GT(layout.num_gists(0), 10);
        EXPECT_EQ(expected[n - 1], layout.num_raw() - 1);  // gists took no positions
      }
    }
  }
}

TEST(TrainingBatch, DocumentBudgetIsTheLargestThatFits) {
  for (int64_t length : {64, 160, 1024}) {
    const ssa::SequenceSettings seq = ssa_sequence(length);
    const int64_t budget = ssa::document_budget(seq, 45);
    auto stream = [&](int64_t doc) {
      return ssa::GistLayout(seq.ssa.layout, std::vector<int64_t>(1 + doc, 65)).length() + 45;
    };
    EXPECT_LE(stream(budget), length);
    EXPECT_GT(stream(budget + 1), length);
  }
}

TEST(TrainConfig, ScheduleAndErrors) {
  ssa::OptimSettings o;
  o.lr = 1.0, o.warmup_ratio = 0.1, o.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(ssa::learning_rate(o, 0, 100), 0.1);
  EXPECT_DOUBLE_EQ(ssa::learning_rate(o, 9, 100), 1.0);
  EXPECT_NEAR(ssa::learning_rate(o, 99, 100), 0.1, 1e-12);
  EXPECT_LT(ssa::learning_rate(o, 60, 100), ssa::learning_rate(o, 30, 100));
  auto error = [](const std::string& text) {
    try {
      ssa::parse_train_config(text, "run.json");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error(R"({"init": "x", "train": {"stpes": 3}})"),
            "run.json: train: unknown key \"stpes\"");
  EXPECT_EQ(error(R"({"init": "x", "data": {"mix": {"wiki": 1}}})"),
            "run.json: data.mix: unknown source \"wiki\" (expected fortunes, bible, passkey, "
            "multikey, multidoc)");
  EXPECT_EQ(error(R"({"init": "x", "train": {"device": "tpu"}})"),
            "run.json: train.device: expected \"cpu\" or \"cuda\", got \"tpu\"");
  EXPECT_NE(error(R"({"train": {}})").find("give exactly one of"), std::string::npos);
}

}  // namespace
