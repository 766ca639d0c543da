// Round trip: what the Writer got is what the Reader returns, bit for bit
// (float32 scores exactly; float16 scores exactly as _Float16 rounds them).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "sessions/notebook.h"
#include "sessions/reader.h"
#include "sessions/recording_format.h"
#include "sessions/writer.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;
using testing::TraceShape;

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float as_half(float f) {
  return float(_Float16(f));
}

// Compares row by row through the accessors, so that the shared and CSR forms
// of the same rows compare equal; `expect` maps a written score to the stored one.
template <class F>
void expect_same_scores(const LevelScores& want, const LevelScores& got, F expect) {
  ASSERT_EQ(want.level, got.level);
  ASSERT_EQ(want.heads, got.heads);
  for (size_t r = 0; r < want.rows(); ++r) {
    ASSERT_EQ(want.row_size(r), got.row_size(r)) << "row " << r;
    for (size_t i = 0; i < want.row_size(r); ++i) {
      ASSERT_EQ(want.row_candidates(r)[i], got.row_candidates(r)[i]);
      ASSERT_EQ(bits(expect(want.row_scores(r)[i])), bits(got.row_scores(r)[i]))
          << "row " << r << " candidate " << i;
    }
  }
}

void expect_same_selection(const LevelSelection& want, const LevelSelection& got) {
  EXPECT_EQ(want.level, got.level);
  EXPECT_EQ(want.heads, got.heads);
  EXPECT_EQ(want.row_offsets, got.row_offsets);
  EXPECT_EQ(want.chosen, got.chosen);
}

template <class F>
void expect_same_layer_step(const LayerStep& want, const LayerStep& got, F expect) {
  ASSERT_EQ(want.step, got.step);
  ASSERT_EQ(want.layer, got.layer);
  ASSERT_EQ(want.scores.size(), got.scores.size());
  ASSERT_EQ(want.selections.size(), got.selections.size());
  for (size_t i = 0; i < want.scores.size(); ++i)
    expect_same_scores(want.scores[i], got.scores[i], expect);
  for (size_t i = 0; i < want.selections.size(); ++i) {
    expect_same_selection(want.selections[i], got.selections[i]);
  }
}

void expect_same_layout(const Layout& a, const Layout& b) {
  EXPECT_EQ(a.settings_json, b.settings_json);
  EXPECT_EQ(a.token_ids, b.token_ids);
  EXPECT_EQ(a.roles, b.roles);
  EXPECT_EQ(a.chunk_ids, b.chunk_ids);
  EXPECT_EQ(a.group_ids, b.group_ids);
  EXPECT_EQ(a.raw_index, b.raw_index);
  EXPECT_EQ(a.positions, b.positions);
  EXPECT_EQ(a.pieces, b.pieces);
  EXPECT_EQ(a.prefix_length, b.prefix_length);
  EXPECT_EQ(a.sink_length, b.sink_length);
}

// Special float values a score may take: all must survive float32 storage.
LayerStep with_special_values(LayerStep r) {
  const float specials[] = {0.f,
                            -0.f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(),
                            1e-30f,
                            65504.f,
                            std::nanf("")};
  for (size_t i = 0; i < std::size(specials) && i < r.scores.back().scores.size(); ++i) {
    r.scores.back().scores[i] = specials[i];
  }
  return r;
}

struct Recorded {
  Layout layout;
  BlockMask mask;
  std::vector<LayerStep> layer_steps;
  std::vector<DecodeStepRecord> decode_steps;
  std::vector<TrainStepRecord> train_steps;
};

Recorded record(const std::string& path, const TraceShape& shape, ScoreEncoding encoding, int steps,
                int64_t* run_id) {
  Recorded rec;
  rec.layout = testing::make_layout(shape, 3);
  rec.mask = testing::make_mask(rec.layout, 8);
  WriterOptions options;
  options.score_encoding = encoding;
  Writer w(path, options);
  RunInfo info;
  info.name = "ssa k=2";
  info.kind = "decode";
  info.config_json = "{\"k\":2}";
  info.model_hash = "sha256:abc";
  info.num_layers = shape.layers;
  info.num_score_heads = shape.heads;
  info.num_levels = shape.levels;
  *run_id = w.begin_run(info);
  w.write_layout(*run_id, rec.layout);
  w.write_mask(*run_id, rec.mask);
  for (int s = 0; s < steps; ++s) {
    TrainStepRecord t{s, 3.0 / (s + 1), 1e-5, 1234.5, 0.25 * s, s % 4 == 3};
    rec.train_steps.push_back(t);
    w.write_train_step(*run_id, t);
    for (int layer = 0; layer < shape.layers; ++layer) {
      LayerStep r = testing::make_layer_step(shape, rec.layout, s, layer);
      if (s == 1 && layer == 0) r = with_special_values(r);
      rec.layer_steps.push_back(r);
      EXPECT_TRUE(w.write_layer_step(*run_id, r));
    }
    rec.decode_steps.push_back(testing::make_decode_step(s));
    w.write_decode_step(*run_id, rec.decode_steps.back());
  }
  w.end_run(*run_id);
  w.close();
  return rec;
}

class RoundTrip : public ::testing::TestWithParam<int> {};

TEST_P(RoundTrip, Float32ScoresComeBackBitForBit) {
  TraceShape shape;
  shape.levels = GetParam();
  shape.heads = 3;
  shape.layers = 3;
  TempPath path("roundtrip32");
  int64_t run_id;
  Recorded rec = record(path.str(), shape, ScoreEncoding::kFloat32, 5, &run_id);

  Reader reader(path.str());
  EXPECT_EQ(reader.format_version(), kFormatVersion);
  std::vector<RunInfo> runs = reader.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, run_id);
  EXPECT_EQ(runs[0].name, "ssa k=2");
  EXPECT_EQ(runs[0].config_json, "{\"k\":2}");
  EXPECT_EQ(runs[0].model_hash, "sha256:abc");
  EXPECT_EQ(runs[0].num_layers, 3);
  EXPECT_EQ(runs[0].num_levels, shape.levels);
  EXPECT_TRUE(runs[0].finished);
  EXPECT_EQ(runs[0].dropped_details, 0);
  EXPECT_FALSE(runs[0].created_utc.empty());

  expect_same_layout(rec.layout, *reader.layout(run_id));
  std::optional<BlockMask> mask = reader.mask(run_id);
  ASSERT_TRUE(mask);
  EXPECT_EQ(mask->block_size, rec.mask.block_size);
  EXPECT_EQ(mask->previous_chunks, rec.mask.previous_chunks);
  EXPECT_EQ(mask->row_offsets, rec.mask.row_offsets);
  EXPECT_EQ(mask->key_blocks, rec.mask.key_blocks);
  EXPECT_EQ(mask->kinds, rec.mask.kinds);

  std::vector<TrainStepRecord> train = reader.train_steps(run_id);
  ASSERT_EQ(train.size(), rec.train_steps.size());
  for (size_t i = 0; i < train.size(); ++i) {
    EXPECT_EQ(train[i].step, rec.train_steps[i].step);
    EXPECT_EQ(train[i].loss, rec.train_steps[i].loss);
    EXPECT_EQ(train[i].learning_rate, rec.train_steps[i].learning_rate);
    EXPECT_EQ(train[i].tokens_per_second, rec.train_steps[i].tokens_per_second);
    EXPECT_EQ(train[i].grad_norm, rec.train_steps[i].grad_norm);
    EXPECT_EQ(train[i].is_eval, rec.train_steps[i].is_eval);
  }
  std::vector<DecodeStepRecord> decode = reader.decode_steps(run_id);
  ASSERT_EQ(decode.size(), rec.decode_steps.size());
  for (size_t i = 0; i < decode.size(); ++i) {
    const DecodeStepRecord &a = rec.decode_steps[i], &b = decode[i];
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.token_id, b.token_id);
    EXPECT_EQ(a.text, b.text);
    EXPECT_EQ(a.seconds, b.seconds);
    EXPECT_EQ(a.keys_scored, b.keys_scored);
    EXPECT_EQ(a.keys_read, b.keys_read);
    EXPECT_EQ(a.full_mass_coverage, b.full_mass_coverage);
    EXPECT_EQ(a.answer_unfolded, b.answer_unfolded);
  }
  StepRange range = reader.decode_step_range(run_id);
  EXPECT_EQ(range.count, 5);
  EXPECT_EQ(range.first, 0);
  EXPECT_EQ(range.last, 4);
  EXPECT_EQ(reader.detail_step_range(run_id).count, 5);
  EXPECT_EQ(reader.num_layers(run_id), 3);

  for (const LayerStep& want : rec.layer_steps) {
    std::optional<LayerStep> got = reader.layer_step(run_id, want.step, want.layer);
    ASSERT_TRUE(got);
    expect_same_layer_step(want, *got, [](float f) { return f; });
  }
  EXPECT_FALSE(reader.layer_step(run_id, 99, 0));
  EXPECT_FALSE(reader.layer_step(run_id + 1, 0, 0));
}

TEST_P(RoundTrip, Float16ScoresComeBackAsTheCompilerRoundsThem) {
  TraceShape shape;
  shape.levels = GetParam();
  TempPath path("roundtrip16");
  int64_t run_id;
  Recorded rec = record(path.str(), shape, ScoreEncoding::kFloat16, 4, &run_id);
  Reader reader(path.str());
  for (const LayerStep& want : rec.layer_steps) {
    std::optional<LayerStep> got = reader.layer_step(run_id, want.step, want.layer);
    ASSERT_TRUE(got);
    expect_same_layer_step(want, *got, [](float f) {
      return std::isnan(f) ? std::numeric_limits<float>::quiet_NaN() : as_half(f);
    });
  }
}

TEST_P(RoundTrip, ScoreSeriesAndUnfoldsAgreeWithTheRecords) {
  TraceShape shape;
  shape.levels = GetParam();
  shape.heads = 2;
  shape.layers = 2;
  TempPath path("series");
  int64_t run_id;
  Recorded rec = record(path.str(), shape, ScoreEncoding::kFloat32, 6, &run_id);
  Reader reader(path.str());

  // Score series of one gist, one head, one layer, at each level, recomputed from the records.
  for (int level = 0; level < shape.levels; ++level) {
    std::vector<int64_t> gists = testing::gist_positions(rec.layout, level);
    int64_t position = gists[gists.size() / 2];
    std::vector<Reader::ScorePoint> series = reader.score_series(run_id, 1, level, 1, position);
    std::vector<Reader::ScorePoint> want;
    for (const LayerStep& r : rec.layer_steps) {
      if (r.layer != 1) continue;
      for (const LevelScores& s : r.scores) {
        if (s.level != level) continue;
        for (size_t i = 0; i < s.row_size(1); ++i) {
          if (s.row_candidates(1)[i] != position) continue;
          bool chosen = false;
          for (const LevelSelection& c : r.selections) {
            if (c.level != level) continue;
            for (size_t j = 0; j < c.row_size(1); ++j) chosen |= c.row_chosen(1)[j] == position;
          }
          want.push_back({r.step, s.row_scores(1)[i], chosen});
        }
      }
    }
    ASSERT_EQ(series.size(), want.size()) << "level " << level;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(series[i].step, want[i].step);
      EXPECT_EQ(bits(series[i].score), bits(want[i].score));
      EXPECT_EQ(series[i].chosen, want[i].chosen);
    }
  }

  // Unfolds: aggregate the selections independently and compare, per chunk.
  std::map<std::tuple<int, int32_t, int64_t>, std::pair<uint64_t, int>> want;
  for (const LayerStep& r : rec.layer_steps) {
    for (const LevelSelection& c : r.selections) {
      for (int64_t p : c.chosen) {
        auto& agg = want[{c.level, rec.layout.id(p, c.level), r.step}];
        agg.first |= uint64_t(1) << r.layer;
        agg.second += 1;
      }
    }
  }
  size_t seen = 0;
  for (int level = 0; level < shape.levels; ++level) {
    for (int32_t id = 0; id <= int32_t(shape.chunks); ++id) {
      for (const Unfold& u : reader.unfolds(run_id, level, id)) {
        auto it = want.find({level, id, u.step});
        ASSERT_NE(it, want.end());
        EXPECT_EQ(u.layer_mask, it->second.first);
        EXPECT_EQ(u.picks, it->second.second);
        ++seen;
      }
    }
  }
  EXPECT_EQ(seen, want.size());
  size_t at_step_2 = 0;
  for (const auto& [key, agg] : want) at_step_2 += std::get<2>(key) == 2;
  EXPECT_EQ(reader.unfolds_at(run_id, 2).size(), at_step_2);
}

INSTANTIATE_TEST_SUITE_P(Levels, RoundTrip, ::testing::Values(1, 2));

TEST(Recording, OpensInTheStockSqliteShellWithItsIdentity) {
  TempPath path("identity");
  int64_t run_id;
  record(path.str(), TraceShape{}, ScoreEncoding::kFloat16, 2, &run_id);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.str().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto one = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW) << sql;
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  };
  EXPECT_EQ(one("PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(one("PRAGMA user_version"), kFormatVersion);
  // A closed recording is one file in rollback-journal mode (no WAL beside it).
  sqlite3_stmt* mode = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &mode, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(mode), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(mode, 0)), "delete");
  sqlite3_finalize(mode);
  EXPECT_NE(::access((path.str() + "-wal").c_str(), F_OK), 0);
  EXPECT_EQ(one("SELECT count(*) FROM decode_steps"), 2);
  // The top level's candidates are stored once, however many steps and layers scored them.
  EXPECT_EQ(one("SELECT count(*) FROM candidate_sets"), 1);
  sqlite3_close(db);
  if (std::system("command -v sqlite3 >/dev/null 2>&1") == 0) {
    std::string cmd =
        "sqlite3 '" + path.str() + "' 'SELECT count(*) FROM level_records' >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
}

TEST(Recording, SeveralRunsInOneFileAndAppendingLater) {
  TempPath path("runs");
  int64_t a, b;
  {
    Writer w(path.str());
    a = w.begin_run(testing::named_run("ssa"));
    w.write_decode_step(a, testing::make_decode_step(0));
    w.end_run(a);
  }
  {
    Writer w(path.str());  // appends to the existing recording
    b = w.begin_run(testing::named_run("full"));
    w.write_decode_step(b, testing::make_decode_step(0));
    w.write_decode_step(b, testing::make_decode_step(1));
  }
  Reader reader(path.str());
  std::vector<RunInfo> runs = reader.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NE(a, b);
  EXPECT_EQ(runs[0].name, "ssa");
  EXPECT_TRUE(runs[0].finished);
  EXPECT_EQ(runs[1].name, "full");
  EXPECT_FALSE(runs[1].finished);  // never ended: the GUI shows it as incomplete
  EXPECT_EQ(reader.decode_step_range(a).count, 1);
  EXPECT_EQ(reader.decode_step_range(b).count, 2);
}

TEST(Recording, ReplaceExistingStartsAfreshButNeverOverwritesOtherFiles) {
  TempPath path("replace");
  {
    Writer w(path.str());
    w.begin_run(testing::named_run("old"));
  }
  WriterOptions replace;
  replace.replace_existing = true;
  {
    Writer w(path.str(), replace);
    w.begin_run(testing::named_run("new"));
  }
  Reader reader(path.str());
  ASSERT_EQ(reader.runs().size(), 1u);
  EXPECT_EQ(reader.runs()[0].name, "new");
  TempPath text("replace_text");
  std::FILE* f = std::fopen(text.str().c_str(), "w");
  std::fputs("precious notes, not a recording\n", f);
  std::fclose(f);
  EXPECT_THROW(Writer w(text.str(), replace), FormatError);
  EXPECT_EQ(::access(text.str().c_str(), F_OK), 0);
}

TEST(Recording, NotebookBookmarksAreSeenByReaders) {
  TempPath path("notes");
  int64_t run;
  {
    Writer w(path.str());
    run = w.begin_run(testing::named_run("ssa"));
  }
  Reader reader(path.str());
  Notebook notes(path.str());
  Bookmark b;
  b.run_id = run;
  b.step = 12;
  b.layer = 3;
  b.position = 40;
  b.name = "needle unfolds";
  b.note = "chunk 5 chosen by every head";
  int64_t id = notes.add(b);
  int64_t id2 = notes.add(Bookmark{0, run, -1, -1, -1, "whole run", "", ""});
  std::vector<Bookmark> seen = reader.bookmarks(run);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id, id2);  // step -1 sorts first
  EXPECT_EQ(seen[1].id, id);
  EXPECT_EQ(seen[1].name, "needle unfolds");
  EXPECT_EQ(seen[1].note, "chunk 5 chosen by every head");
  EXPECT_EQ(seen[1].step, 12);
  EXPECT_EQ(seen[1].layer, 3);
  EXPECT_EQ(seen[1].position, 40);
  EXPECT_FALSE(seen[1].created_utc.empty());
  EXPECT_TRUE(notes.update(id, "renamed", "new note"));
  EXPECT_EQ(notes.list(run)[1].name, "renamed");
  EXPECT_TRUE(notes.remove(id2));
  EXPECT_FALSE(notes.remove(id2));
  EXPECT_EQ(reader.bookmarks(run).size(), 1u);
}

TEST(Writer, RejectsInconsistentRecordsAtTheCall) {
  TempPath path("invalid");
  Writer w(path.str());
  int64_t run = w.begin_run(testing::named_run("ssa"));
  LayerStep r = testing::make_layer_step(TraceShape{}, testing::make_layout(TraceShape{}), 0, 0);
  LayerStep bad = r;
  bad.scores[0].scores.pop_back();
  EXPECT_THROW(w.write_layer_step(run, bad), std::invalid_argument);
  bad = r;
  bad.selections[0].row_offsets.back() += 1;
  EXPECT_THROW(w.write_layer_step(run, bad), std::invalid_argument);
  bad = r;
  bad.scores[0].heads = {1, 0};
  EXPECT_THROW(w.write_layer_step(run, bad), std::invalid_argument);
  bad = r;
  bad.selections[0].chosen[0] = int64_t(1) << 40;
  EXPECT_THROW(w.write_layer_step(run, bad), std::invalid_argument);
  Layout l = testing::make_layout(TraceShape{});
  l.roles.pop_back();
  EXPECT_THROW(w.write_layout(run, l), std::invalid_argument);
  l = testing::make_layout(TraceShape{});
  l.chunk_ids[3] = 1 << 30;
  EXPECT_THROW(w.write_layout(run, l), std::invalid_argument);
  EXPECT_TRUE(w.write_layer_step(run, r));
}

}  // namespace
}  // namespace ssa::sessions
