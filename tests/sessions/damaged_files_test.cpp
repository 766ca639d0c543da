// A real recording (the shipped demo) damaged one value at a time, the way a
// bad disk, a tool or a hand edit in the sqlite3 shell leaves it: the GUI
// indexes with these values, so the Reader refuses each with one line naming
// the file and the table, and `info` / `export` say that line and exit 2.
// The undamaged demo passes every check (the control).
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <set>

#include "app/cli/commands.h"
#include "sessions/reader.h"
#include "tests/sessions/damaged_recording.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

using testing::TempPath;

void run_cli(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.require_subcommand(0, 1);
  cli::register_info_command(app);
  cli::register_export_command(app);
  std::vector<const char*> argv{"ssa-workbench"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(int(argv.size()), const_cast<char**>(argv.data()));
}

// Everything a viewer reads of every run: throws the first refusal.
void read_everything(Reader& r) {
  for (const RunInfo& run : r.runs()) {
    r.layout(run.id);
    r.mask(run.id);
    r.train_steps(run.id);
    r.decode_steps(run.id);
    StepRange detail = r.detail_step_range(run.id);
    const int32_t layers = r.num_layers(run.id);
    for (int64_t step = detail.first; detail.count > 0 && step <= detail.last; ++step) {
      for (int32_t layer = 0; layer < layers; ++layer) r.layer_step(run.id, step, layer);
      r.unfolds_at(run.id, step);
    }
    r.bookmarks(run.id);
  }
}

struct Damage {
  const char* name;
  std::function<void(const std::string& path)> apply;
  std::string table;  // named in the refusal
  std::string why;    // part of the reason
  // The command that meets it (info reads runs, layouts, masks, step ranges).
  std::vector<std::string> command = {"info"};
};

// A level-0 gist of run 6 (H-SSA: level 0 scores only the chosen groups'
// gists) that head 0 did not score at step 0, layer 0.
int32_t unscored_gist(const std::string& path) {
  Reader r(path);
  const Layout l = *r.layout(6);
  std::optional<LayerStep> ls = r.layer_step(6, 0, 0);
  const LevelScores& s = ls->scores.at(0);
  const std::vector<int64_t> scored(s.row_candidates(0), s.row_candidates(0) + s.row_size(0));
  for (int64_t p = 0; p < l.length(); ++p)
    if (l.roles[size_t(p)] == 1 && std::find(scored.begin(), scored.end(), p) == scored.end())
      return int32_t(p);
  throw std::runtime_error("every gist was scored");
}

std::vector<Damage> damages() {
  using testing::edit_blob;
  using testing::get_int32;
  using testing::put_int32;
  using testing::put_int64;
  using testing::sql;
  const std::string step0 = "run_id = 1 AND step = 0 AND layer = 0 AND level = 0";
  return {
      {"a role beyond the levels",
       [](const std::string& p) {
         edit_blob(p, "layouts", "roles", "run_id = 1", [](std::string& b) { b[10] = 9; });
       },
       "layouts row of run 1", "role 9 at position 10"},
      {"a raw token made a gist",
       [](const std::string& p) {
         edit_blob(p, "layouts", "roles", "run_id = 1", [](std::string& b) { b[10] = 1; });
       },
       "layouts row of run 1", "a gist with a raw index at position 10"},
      {"a chunk id changed",
       [](const std::string& p) {
         edit_blob(p, "layouts", "chunk_ids", "run_id = 1",
                   [](std::string& b) { put_int32(b, 100, 7); });
       },
       "layouts row of run 1", "chunk id 7 at position 100"},
      {"a huge group id (H-SSA)",
       [](const std::string& p) {
         edit_blob(p, "layouts", "group_ids", "run_id = 6",
                   [](std::string& b) { put_int32(b, 200, 0x7fffffff); });
       },
       "layouts row of run 6", "group id 2147483647"},
      {"a gist with a raw index",
       [](const std::string& p) {
         const Layout l = *Reader(p).layout(1);
         const size_t gist =
             size_t(std::find(l.roles.begin(), l.roles.end(), int8_t(1)) - l.roles.begin());
         edit_blob(p, "layouts", "raw_index", "run_id = 1",
                   [gist](std::string& b) { put_int64(b, gist, 5); });
       },
       "layouts row of run 1", "raw index"},
      {"a chosen index of 0x7fffffff",
       [step0](const std::string& p) {
         edit_blob(p, "level_records", "chosen", step0,
                   [](std::string& b) { put_int32(b, 0, 0x7fffffff); });
       },
       "level_records row (run 1, step 0, layer 0)",
       "outside the layout",
       {"export", "--what", "selections"}},
      {"a chosen gist that was not scored",
       [](const std::string& p) {
         const int32_t gist = unscored_gist(p);
         edit_blob(p, "level_records", "chosen",
                   "run_id = 6 AND step = 0 AND layer = 0 AND level = 0",
                   [gist](std::string& b) { put_int32(b, 0, gist); });
       },
       "level_records row (run 6, step 0, layer 0)",
       "not among the candidates",
       {"export", "--what", "selections"}},
      {"a chosen raw token",
       [step0](const std::string& p) {
         edit_blob(p, "level_records", "chosen", step0,
                   [](std::string& b) { put_int32(b, 0, 10); });
       },
       "level_records row (run 1, step 0, layer 0)",
       "has role 0",
       {"export", "--what", "selections"}},
      {"a huge candidate position",
       [step0](const std::string& p) {
         edit_blob(p, "candidate_sets", "positions",
                   "id = (SELECT candidate_set FROM level_records WHERE " + step0 + ")",
                   [](std::string& b) { put_int32(b, 0, 1 << 30); });
       },
       "level_records row (run 1, step 0, layer 0)",
       "candidate position 1073741824",
       {"export", "--what", "scores"}},
      {"a candidate of the wrong role",
       [step0](const std::string& p) {
         edit_blob(p, "candidate_sets", "positions",
                   "id = (SELECT candidate_set FROM level_records WHERE " + step0 + ")",
                   [](std::string& b) { put_int32(b, 0, 10); });
       },
       "level_records row (run 1, step 0, layer 0)",
       "has role 0",
       {"export", "--what", "scores"}},
      {"a score head beyond the run's heads",
       [step0](const std::string& p) {
         edit_blob(p, "level_records", "chosen_heads", step0,
                   [](std::string& b) { put_int32(b, b.size() / 4 - 1, 99); });
       },
       "level_records row (run 1, step 0, layer 0)",
       "head 99",
       {"export", "--what", "selections"}},
      {"a level beyond the layout's",
       [step0](const std::string& p) {
         sql(p, "UPDATE level_records SET level = 7 WHERE " + step0);
       },
       "level_records row (run 1, step 0, layer 0",
       "level 7",
       {"export", "--what", "selections"}},
      {"a layer of 2^31",
       [](const std::string& p) {
         sql(p,
             "UPDATE level_records SET layer = 2147483648 WHERE run_id = 1 AND step = 0 AND "
             "layer = 7");
       },
       "level_records of run 1", "layers 0..2147483648"},
      {"a detail step of 2^62",
       [](const std::string& p) {
         sql(p,
             "UPDATE level_records SET step = 4611686018427387904 WHERE run_id = 1 AND step = 5");
       },
       "level_records of run 1", "outside the decode steps"},
      {"a decode step of 2^62",
       [](const std::string& p) {
         sql(p, "UPDATE decode_steps SET step = 4611686018427387904 WHERE run_id = 1 AND step = 5");
       },
       "decode_steps of run 1",
       "one per step",
       {"export", "--what", "steps"}},
      {"a negative train step",
       [](const std::string& p) {
         sql(p, "INSERT INTO train_steps VALUES (1, -5, 0, 1.0, 0.1, 10, 1)");
       },
       "train_steps of run 1",
       "negative",
       {"export", "--what", "losses"}},
      {"mask row offsets that are not monotonic",
       [](const std::string& p) {
         edit_blob(p, "masks", "row_offsets", "run_id = 1", [](std::string& b) {
           int64_t high;
           std::memcpy(&high, &b[8 * 6], 8);
           put_int64(b, 3, high);
         });
       },
       "masks row of run 1", "row_offsets decrease"},
      {"a mask key block out of range",
       [](const std::string& p) {
         edit_blob(p, "masks", "key_blocks", "run_id = 1",
                   [](std::string& b) { put_int32(b, 0, 99); });
       },
       "masks row of run 1", "key block 99 in query block 0"},
      {"a mask kind of 9",
       [](const std::string& p) {
         edit_blob(p, "masks", "kinds", "run_id = 1", [](std::string& b) { b[0] = 9; });
       },
       "masks row of run 1", "kind 9"},
      {"a mask larger than its layout",
       [](const std::string& p) { sql(p, "UPDATE masks SET block_size = 4096 WHERE run_id = 1"); },
       "masks row of run 1", "query blocks"},
      {"a huge head count",
       [](const std::string& p) {
         sql(p, "UPDATE runs SET num_score_heads = 1099511627776 WHERE id = 1");
       },
       "runs row 1", "num_score_heads"},
      {"a finished flag of 5",
       [](const std::string& p) { sql(p, "UPDATE runs SET finished = 5 WHERE id = 2"); },
       "runs row 2", "finished is 5"},
      {"an answer chunk of the wrong type",
       [](const std::string& p) {
         sql(p,
             "UPDATE runs SET config_json = json_set(config_json, '$.answer_chunk', 'x')"
             " WHERE id = 1");
       },
       "runs row 1", "config_json: answer_chunk is text, expected integer"},
      {"answer chunks that are not integers",
       [](const std::string& p) {
         sql(p,
             "UPDATE runs SET config_json = json_set(config_json, '$.answer_chunks',"
             " json('[1, 2.5]')) WHERE id = 1");
       },
       "runs row 1", "answer_chunks holds a real"},
      {"a config that is not JSON",
       [](const std::string& p) { sql(p, "UPDATE runs SET config_json = '{oops' WHERE id = 3"); },
       "runs row 3", "not valid JSON"},
      {"a bookmark outside the stream",
       [](const std::string& p) {
         sql(p,
             "INSERT INTO bookmarks(run_id, step, layer, position, name, created_utc)"
             " VALUES (1, 0, 0, 99999999, 'far', 'now')");
       },
       "bookmarks row", "outside the run"},
  };
}

TEST(DamagedRecording, TheDemoItselfPassesEveryCheck) {
  Reader r(testing::demo_recording());
  EXPECT_NO_THROW(read_everything(r));
  EXPECT_EQ(r.format_version(), 1);  // shipped before version 2: read as it is
}

TEST(DamagedRecording, EachDamageIsRefusedInOneLineNamingTableAndRow) {
  for (const Damage& d : damages()) {
    SCOPED_TRACE(d.name);
    TempPath path("damaged");
    testing::copy_file(testing::demo_recording(), path.str());
    d.apply(path.str());
    try {
      Reader r(path.str());
      read_everything(r);
      ADD_FAILURE() << d.name << ": read without complaint";
    } catch (const FormatError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path.str() + ": corrupt " + d.table, 0), 0u) << msg;
      EXPECT_NE(msg.find(d.why), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
    // The command line: one line naming the file, an InputError (exit 2),
    // and no output file.
    std::vector<std::string> args = d.command;
    args.insert(args.begin() + 1, path.str());
    TempPath csv("damaged_csv");
    if (args[0] == "export") args.insert(args.end(), {"--out", csv.str()});
    ::testing::internal::CaptureStdout();
    try {
      run_cli(args);
      ADD_FAILURE() << d.name << ": " << args[0] << " succeeded";
    } catch (const cli::InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path.str() + ": corrupt " + d.table, 0), 0u) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
    // Nothing printed before the refusal: info reads everything first.
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
    EXPECT_NE(::access(path.str().c_str(), F_OK), -1);
    EXPECT_EQ(::access(csv.str().c_str(), F_OK), -1) << "a partial CSV was left";
  }
}

}  // namespace
}  // namespace ssa::sessions
