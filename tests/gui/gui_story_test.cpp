// What the window says in words and shows of a run, without a display:
// whether the generated text is right, where the generated tokens begin (the
// token strip never shows the future), the plain-words step summary, dense
// layers, the search, and comparisons across layouts on raw tokens.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <sstream>

#include "app/gui/model/layout_search.h"
#include "app/gui/model/run_comparison.h"
#include "app/gui/model/step_story.h"
#include "app/gui/model/worker.h"
#include "app/gui/views/views.h"
#include "sessions/csv_reader.h"
#include "sessions/reader.h"
#include "tests/gui/loaded_worker.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

using testing::Loaded;
using testing::TempRecording;

RunData run_with(const std::string& expected, const std::vector<std::string>& texts) {
  RunData run;
  run.facts.expected_answer = expected;
  for (size_t i = 0; i < texts.size(); ++i) {
    sessions::DecodeStepRecord d;
    d.step = static_cast<int64_t>(i);
    d.text = texts[i];
    run.decode_steps.push_back(d);
  }
  return run;
}

TEST(AnswerCheck, SaysRightSoFarRightAndWrongFromWhichStep) {
  const RunData right = run_with("53148", {"5", "3", "1", "4", "8", "<eos>"});
  EXPECT_EQ(check_answer(right, 0).verdict, AnswerCheck::Verdict::kSoFarRight);
  EXPECT_EQ(check_answer(right, 0).generated, "5");
  EXPECT_EQ(check_answer(right, 2).generated, "531");
  EXPECT_EQ(check_answer(right, 4).verdict, AnswerCheck::Verdict::kRight);
  EXPECT_EQ(check_answer(right, 5).generated, "53148") << "end-of-text is not text";
  const RunData wrong = run_with("53148", {"5", "3", "7", "4"});
  EXPECT_EQ(check_answer(wrong, 1).verdict, AnswerCheck::Verdict::kSoFarRight);
  const AnswerCheck c = check_answer(wrong, 3);
  EXPECT_EQ(c.verdict, AnswerCheck::Verdict::kWrong);
  EXPECT_EQ(c.first_wrong_step, 2);
  // The prompt ends in "is": a leading space is the answer's first token.
  EXPECT_EQ(check_answer(run_with("42", {" 4", "2"}), 1).verdict, AnswerCheck::Verdict::kRight);
  EXPECT_EQ(check_answer(run_with("", {"x"}), 0).verdict, AnswerCheck::Verdict::kUnknown);
  EXPECT_EQ(check_answer(run_with("7", {}), 0).verdict, AnswerCheck::Verdict::kNothingYet);
}

// A finished run's layout ends with the tokens it generated (record writes it
// again): those positions are the generated ones, not the prompt.
TEST(TokenStrip, NeverShowsTheFuture) {
  auto shape = testing::small_ssa();
  shape.generated_in_layout = true;
  TempRecording rec(shape);
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  ASSERT_TRUE(run->has_layout());
  EXPECT_EQ(run->prompt_length, run->layout->length() - (shape.steps - 1));
  for (int64_t p = run->prompt_length; p < run->layout->length(); ++p)
    EXPECT_EQ(run->layout->token_id(p),
              run->decode_steps[static_cast<size_t>(p - run->prompt_length)].token_id);
  // The strip's data at step 0: the prompt, then step 0's token only.
  UiState state;
  state.run = run->id;
  state.step = 0;
  ViewContext ctx(loaded.worker, state, key_queue());
  ctx.run = run;
  ctx.layout = run->layout.get();
  TokenStripView strip;
  std::ostringstream csv;
  strip.write_csv(ctx, csv);
  const std::string text = csv.str();
  const std::string generated = text.substr(text.find("# generated up to step 0"));
  EXPECT_EQ(std::count(generated.begin(), generated.end(), '\n'), 3)
      << generated;  // title, header, step 0
  const int64_t rows = std::count(text.begin(), text.end(), '\n') - 3;
  EXPECT_EQ(rows, run->prompt_length + 1) << "header and the prompt's positions";
  // A layout without the generated tokens (live, synthetic) is all prompt.
  TempRecording plain(testing::small_ssa());
  Loaded plain_loaded(plain.path());
  EXPECT_EQ(plain_loaded.first()->prompt_length, plain_loaded.first()->layout->length());
}

// The comparison's CSV is valid CSV whatever a run is called: a name with a
// quote and a comma reads back as it was.
TEST(CompareCsv, NamesAndTextsReadBackAsTheyWere) {
  TempRecording rec(testing::small_ssa());
  const std::string name = "ssa \"fast\", k=4";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(rec.path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* update = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE runs SET name = ?", -1, &update, nullptr), SQLITE_OK);
    sqlite3_bind_text(update, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(update), SQLITE_DONE);
    sqlite3_finalize(update);
    sqlite3_close(db);
  }
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  ASSERT_EQ(run->info.name, name);
  UiState state;
  state.run = run->id;
  ViewContext ctx(loaded.worker, state, key_queue());
  ctx.run = run;
  CompareView compare;
  std::ostringstream csv;
  compare.write_csv(ctx, csv);
  const sessions::CsvTable table = sessions::parse_csv(csv.str(), "compare.csv");
  const size_t run_column = 1, name_column = 2, text_column = 5;
  ASSERT_EQ(table.header[name_column], "name");
  ASSERT_EQ(table.header[text_column], "text");
  std::vector<std::string> texts;  // this run's, in order
  for (const auto& row : table.rows) {
    EXPECT_EQ(row[name_column], name);  // every run of the file was renamed
    if (row[run_column] == std::to_string(run->id.run)) texts.push_back(row[text_column]);
  }
  ASSERT_EQ(texts.size(), run->decode_steps.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(texts[i], run->decode_steps[i].text);
}

TEST(StepStory, SaysWhichChunksUnfoldedAndWhetherTheAnswerWasAmongThem) {
  TempRecording rec(testing::small_ssa());
  Loaded loaded(rec.path());
  sessions::Reader reader(rec.path());
  const auto run = loaded.first();
  ASSERT_EQ(run->facts.answer_chunks.size(), 1u);
  const int32_t answer = run->facts.answer_chunks[0];
  int checked_in = 0, checked_out = 0;
  for (int64_t step : run->steps) {
    for (int32_t head : {-1, 0, 1, 2, 3}) {
      loaded.worker.head_step(run, step, 0, head);
      loaded.worker.unfolds(run, step);
      loaded.worker.wait_idle();
      auto hs = loaded.worker.head_step(run, step, 0, head);
      auto un = loaded.worker.unfolds(run, step);
      const std::string story = step_story(*run, hs.get(), un.get(), step, 0, head);
      const std::string who = head < 0 ? "Layer 0" : "Layer 0, head " + std::to_string(head);
      EXPECT_NE(
          story.find(who + " unfolded " + std::to_string(hs->unfolded_chunks.size()) + " chunk"),
          std::string::npos)
          << story;
      const std::string name = "the answer's chunk " + std::to_string(answer);
      if (hs->is_unfolded(answer)) {
        EXPECT_NE(story.find(name + " among them"), std::string::npos) << story;
        ++checked_in;
      } else {
        EXPECT_NE(story.find(name + " not among them"), std::string::npos) << story;
        ++checked_out;
      }
      // Across layers, from the unfolds table.
      uint64_t layers = 0;
      for (const auto& u : reader.unfolds_at(run->info.id, step))
        if (u.level == 0 && u.id == answer) layers |= u.layer_mask;
      EXPECT_NE(story.find(layers ? layer_list(layers) + " unfolded the answer's chunk"
                                  : "no layer unfolded"),
                std::string::npos)
          << story;
    }
  }
  EXPECT_GT(checked_in, 0);
  EXPECT_GT(checked_out, 0);
  EXPECT_EQ(id_list({58, 64, 73, 127, 168, 184}), "58, 64, 73, 127 and 2 more");
  EXPECT_EQ(layer_list(0b1010), "layers 1 and 3");
}

TEST(StepStory, LevelsInWordsNameEveryLevelsChoices) {
  TempRecording rec(testing::small_hssa());
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  loaded.worker.head_step(run, 3, 0, -1);
  loaded.worker.wait_idle();
  const auto hs = loaded.worker.head_step(run, 3, 0, -1);
  const std::string words = describe_levels(*run->layout, *hs);
  EXPECT_NE(words.find("level 1: "), std::string::npos) << words;
  EXPECT_NE(
      words.find("groups chosen of " + std::to_string(hs->levels[1].candidates.size()) + " scored"),
      std::string::npos)
      << words;
  EXPECT_LT(words.find("level 1"), words.find("level 0")) << "top level first";
  EXPECT_EQ(words.find("<G>"), std::string::npos) << "no token markers in the words";
}

// Dense layers select nothing: the recording says so in config_json, and the
// views say "not selecting" instead of "nothing recorded".
TEST(DenseLayers, AreShownAsNotSelecting) {
  auto shape = testing::small_ssa();
  shape.dense_layers = 1;
  TempRecording rec(shape);
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  EXPECT_EQ(run->facts.dense_layers, 1);
  EXPECT_EQ(run->facts.budget, "fixed");
  EXPECT_TRUE(run->is_dense(0));
  EXPECT_FALSE(run->is_dense(1));
  const std::string story = step_story(*run, nullptr, nullptr, 0, 0, -1);
  EXPECT_NE(story.find("not selecting (it attends to its training-mask row)"), std::string::npos)
      << story;
  // Absent or of the wrong type: no dense layers.
  EXPECT_EQ(read_run_facts("{\"dense_layers\":\"two\"}", nullptr).dense_layers, 0);
  EXPECT_EQ(read_run_facts("{}", nullptr).dense_layers, 0);
  EXPECT_EQ(read_run_facts("[1,2]", nullptr).dense_layers, 0);
  EXPECT_EQ(read_run_facts("{\"dense_layers\":3,\"budget\":\"top-p\"}", nullptr).budget, "top-p");
  EXPECT_EQ(read_run_facts("{\"auto_k\":true,\"k\":4}", nullptr).budget, "auto");
}

TEST(Search, FindsTextPositionsAndChunks) {
  TempRecording rec(testing::small_ssa());
  Loaded loaded(rec.path());
  const auto run = loaded.first();
  const LayoutIndex& index = *run->layout;
  const auto text = search_layout(index, "PASSKEY is 48213");
  ASSERT_EQ(text.kind, SearchResult::Kind::kText);
  ASSERT_EQ(text.hits.size(), 1u);
  // The needle sits a few chunks before the answer's chunk (its digits).
  EXPECT_LE(std::abs(text.hits[0].chunk - run->facts.answer_chunks[0]), 2);
  EXPECT_EQ(index.text_of(text.hits[0].position, text.hits[0].position + 1), "p");
  const auto pos = search_layout(index, "#120");
  ASSERT_EQ(pos.hits.size(), 1u);
  EXPECT_EQ(pos.hits[0].position, 120);
  EXPECT_EQ(pos.hits[0].chunk, index.span_of(120, 0));
  const auto chunk = search_layout(index, "chunk 7");
  ASSERT_EQ(chunk.hits.size(), 1u);
  EXPECT_EQ(chunk.hits[0].position, index.spans(0)[7].begin);
  EXPECT_EQ(search_layout(index, "c7").hits[0].chunk, 7);
  EXPECT_NE(search_layout(index, "#999999").error.find("no stream position"), std::string::npos);
  EXPECT_NE(search_layout(index, "chunk 100000").error.find("no chunk"), std::string::npos);
  EXPECT_NE(search_layout(index, "zebra crossing").error.find("not in the text"),
            std::string::npos);
  EXPECT_GT(search_layout(index, "the").hits.size(), 5u);
}

// Runs with different layouts of one prompt compare on raw tokens: chunk 4
// and chunk 8 over the same text line up token for token.
TEST(Compare, DifferentLayoutsCompareOnRawTokens) {
  auto eight = testing::small_ssa();
  auto four = testing::small_ssa();
  four.chunk = 4;
  TempRecording a(eight), b(four);
  Worker worker;
  worker.open(a.path());
  worker.open(b.path());
  worker.wait_idle();
  worker.poll();
  const auto ra = worker.run({0, 1}), rb = worker.run({1, 1});
  ASSERT_TRUE(ra && rb);
  ASSERT_EQ(ra->layout->raw_count(), rb->layout->raw_count());
  // Chunk c of chunk-8 holds the raw tokens of chunks 2c and 2c+1 of chunk-4.
  for (int32_t c = 0; c < 20; ++c) {
    const RawRanges one = raw_ranges_of(*ra->layout, {c});
    const RawRanges two = raw_ranges_of(*rb->layout, {2 * c, 2 * c + 1});
    EXPECT_EQ(one, two) << c;
    EXPECT_EQ(raw_overlap(one, two).jaccard(), 1.0);
  }
  const RawOverlap half =
      raw_overlap(raw_ranges_of(*ra->layout, {3}), raw_ranges_of(*rb->layout, {6}));
  EXPECT_EQ(half.both, 4);
  EXPECT_EQ(half.only_a, 4);
  EXPECT_EQ(half.only_b, 0);
  // The Worker's compare rows are the unfolds of each run, on raw tokens.
  sessions::Reader reader_a(a.path()), reader_b(b.path());
  for (int64_t step : {2, 11}) {
    worker.compare_step(ra, rb, step);
    worker.wait_idle();
    const auto cs = worker.compare_step(ra, rb, step);
    ASSERT_TRUE(cs);
    std::vector<int32_t> ca, cb;
    for (const auto& u : reader_a.unfolds_at(1, step))
      if (u.level == 0) ca.push_back(u.id);
    for (const auto& u : reader_b.unfolds_at(1, step))
      if (u.level == 0) cb.push_back(u.id);
    std::sort(ca.begin(), ca.end());
    std::sort(cb.begin(), cb.end());
    EXPECT_EQ(cs->chunks_a, ca);
    EXPECT_EQ(cs->chunks_b, cb);
    const RawOverlap o =
        raw_overlap(raw_ranges_of(*ra->layout, ca), raw_ranges_of(*rb->layout, cb));
    EXPECT_EQ(cs->overlap.both, o.both);
    EXPECT_EQ(cs->overlap.only_a, o.only_a);
    EXPECT_EQ(cs->overlap.only_b, o.only_b);
  }
  // The series over the steps, computed incrementally, is the same numbers.
  worker.compare_series(ra, rb);
  worker.wait_idle();
  const auto series = worker.compare_series(ra, rb);
  ASSERT_TRUE(series);
  ASSERT_EQ(series->steps.size(), ra->steps.size());
  worker.compare_step(ra, rb, 11);
  worker.wait_idle();
  EXPECT_FLOAT_EQ(series->jaccard[11],
                  static_cast<float>(worker.compare_step(ra, rb, 11)->overlap.jaccard()));
}

}  // namespace
}  // namespace ssa::gui
