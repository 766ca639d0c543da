// `ssa-workbench info` and `export`, run through CLI11 exactly as main() runs
// them, on real recordings: CSV values read back equal to what was recorded.
#include <gtest/gtest.h>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli/commands.h"
#include "sessions/csv_reader.h"
#include "sessions/reader.h"
#include "sessions/writer.h"
#include "tests/sessions/damaged_recording.h"
#include "tests/sessions/synthetic_trace.h"
#include "tests/sessions/temp_file.h"

namespace ssa::cli {
namespace {

using sessions::testing::TempPath;

void run_cli(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.require_subcommand(0, 1);
  register_info_command(app);
  register_export_command(app);
  std::vector<const char*> argv{"ssa-workbench"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(int(argv.size()), const_cast<char**>(argv.data()));
}

// The export read back by the project's CSV reader: the header, then the rows.
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  sessions::CsvTable table = sessions::read_csv(path);
  std::vector<std::vector<std::string>> rows{std::move(table.header)};
  for (auto& row : table.rows) rows.push_back(std::move(row));
  return rows;
}

struct Fixture {
  TempPath path{"cli"};
  TempPath csv{"cli_csv"};
  sessions::testing::TraceShape shape;
  sessions::Layout layout;
  int64_t run = 0;
  Fixture() {
    shape.levels = 2;
    layout = sessions::testing::make_layout(shape);
    sessions::Writer w(path.str());
    sessions::RunInfo info = sessions::testing::named_run("ssa h-ssa");
    info.num_layers = shape.layers;
    info.config_json = R"({"task":"passkey","answer":"48213"})";
    run = w.begin_run(info);
    w.write_layout(run, layout);
    for (int s = 0; s < 5; ++s) {
      w.write_train_step(run, {s, 4.0 / (s + 1), 1e-5 * s, 321.5, 0.1 + s, false});
      if (s == 4) w.write_train_step(run, {s, 2.5, 0, 0, 0, true});  // an evaluation
      for (int l = 0; l < shape.layers; ++l) {
        w.write_layer_step(run, sessions::testing::make_layer_step(shape, layout, s, l));
      }
      sessions::DecodeStepRecord d = sessions::testing::make_decode_step(s);
      d.text = s == 2 ? "a, \"quoted\" piece" : d.text;
      w.write_decode_step(run, d);
    }
    w.end_run(run);
  }
};

TEST(ExportCommand, LossesReadBackExactly) {
  Fixture f;
  run_cli({"export", f.path.str(), "--what", "losses", "--format", "csv", "--out", f.csv.str()});
  auto rows = read_csv(f.csv.str());
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0][3], "loss");
  // The evaluation measured its loss only: the other values are left empty.
  EXPECT_EQ(rows[6], (std::vector<std::string>{"1", "4", "1", "2.5", "", "", ""}));
  for (int s = 0; s < 5; ++s) {
    EXPECT_EQ(std::stoll(rows[size_t(s) + 1][1]), s);
    EXPECT_EQ(std::stod(rows[size_t(s) + 1][3]), 4.0 / (s + 1));
    EXPECT_EQ(std::stod(rows[size_t(s) + 1][4]), 1e-5 * s);
    EXPECT_EQ(std::stod(rows[size_t(s) + 1][6]), 0.1 + s);
  }
}

TEST(ExportCommand, ScoresAreEveryRecordedValue) {
  Fixture f;
  run_cli({"export", f.path.str(), "--what", "scores", "--out", f.csv.str(), "--steps", "1:3"});
  auto rows = read_csv(f.csv.str());
  sessions::Reader reader(f.path.str());
  size_t expected = 0, checked = 0;
  for (int64_t s = 1; s <= 3; ++s) {
    for (int l = 0; l < f.shape.layers; ++l) {
      std::optional<sessions::LayerStep> ls = reader.layer_step(f.run, s, l);
      ASSERT_TRUE(ls);
      for (const sessions::LevelScores& sc : ls->scores) {
        for (size_t r = 0; r < sc.rows(); ++r) expected += sc.row_size(r);
      }
    }
  }
  ASSERT_EQ(rows.size(), expected + 1);
  // Every row against the Reader: the same float, the right gist id.
  for (size_t i = 1; i < rows.size(); ++i) {
    int64_t step = std::stoll(rows[i][1]);
    int layer = std::stoi(rows[i][2]), level = std::stoi(rows[i][3]), head = std::stoi(rows[i][4]);
    int64_t pos = std::stoll(rows[i][5]);
    EXPECT_EQ(std::stoi(rows[i][6]), f.layout.id(pos, level));
    EXPECT_GE(step, 1);
    EXPECT_LE(step, 3);
    std::optional<sessions::LayerStep> ls = reader.layer_step(f.run, step, layer);
    ASSERT_TRUE(ls);
    for (const sessions::LevelScores& sc : ls->scores) {
      if (sc.level != level) continue;
      size_t row = size_t(std::find(sc.heads.begin(), sc.heads.end(), head) - sc.heads.begin());
      for (size_t j = 0; j < sc.row_size(row); ++j) {
        if (sc.row_candidates(row)[j] == pos) {
          EXPECT_EQ(std::stof(rows[i][7]), sc.row_scores(row)[j]);
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, expected);
}

TEST(ExportCommand, SelectionsOfOneLayerAndQuotedSteps) {
  Fixture f;
  run_cli({"export", f.path.str(), "--what", "selections", "--layer", "1", "--out", f.csv.str()});
  auto rows = read_csv(f.csv.str());
  size_t expected = 0;
  for (int s = 0; s < 5; ++s) {
    auto r = sessions::testing::make_layer_step(f.shape, f.layout, s, 1);
    for (const auto& c : r.selections) expected += c.chosen.size();
  }
  ASSERT_EQ(rows.size(), expected + 1);
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i][2], "1");

  run_cli({"export", f.path.str(), "--what", "steps", "--out", f.csv.str()});
  std::ifstream in(f.csv.str());
  std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(all.find("\"a, \"\"quoted\"\" piece\""), std::string::npos) << all;
}

TEST(ExportCommand, UserErrorsAreOneLine) {
  Fixture f;
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "scores", "--format", "json"}),
               UsageError);
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "scores", "--steps", "5:2"}), UsageError);
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "colours"}), CLI::ValidationError);
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "scores", "--run", "42"}), InputError);
  TempPath junk("junk");
  std::ofstream(junk.str()) << "not a recording";
  try {
    run_cli({"export", junk.str(), "--what", "losses"});
    FAIL();
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(junk.str() + ": ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
}

TEST(InfoCommand, PrintsRunsStepsAndLayout) {
  Fixture f;
  ::testing::internal::CaptureStdout();
  run_cli({"info", f.path.str()});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("SSA recording, format version 2, 1 run(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("\"ssa h-ssa\" (decode)"), std::string::npos) << out;
  EXPECT_NE(out.find(", finished\n"), std::string::npos) << out;
  EXPECT_NE(out.find("decode: 5 steps (0..4)"), std::string::npos) << out;
  EXPECT_NE(out.find("training: 5 steps (0..4)"), std::string::npos) << out;
  EXPECT_NE(out.find("16 at level 0, 4 at level 1"), std::string::npos) << out;
  // What the run generated, and what the task expected back.
  EXPECT_NE(out.find("generated: \"aba, \"quoted\" piecede\""), std::string::npos) << out;
  EXPECT_NE(out.find("expected: \"48213\""), std::string::npos) << out;
  EXPECT_NE(out.find("level_records"), std::string::npos) << out;
  TempPath empty("emptyinfo");
  std::ofstream(empty.str()).close();
  EXPECT_THROW(run_cli({"info", empty.str()}), InputError);
}

TEST(InfoCommand, ShowsAFailedRunAndWhy) {
  Fixture f;
  {
    sessions::Writer w(f.path.str());
    const int64_t run = w.begin_run(sessions::testing::named_run("train"));
    w.fail_run(run, "step 57: the loss is nan");
    w.begin_run(sessions::testing::named_run("killed"));
  }
  ::testing::internal::CaptureStdout();
  run_cli({"info", f.path.str()});
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("\"train\" (decode), created "), std::string::npos) << out;
  EXPECT_NE(out.find(", failed: step 57: the loss is nan\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\"killed\" (decode), created "), std::string::npos) << out;
  EXPECT_NE(out.find(", incomplete (still recording, interrupted"), std::string::npos) << out;
}

TEST(ExportCommand, UnmeasuredValuesAreLeftEmpty) {
  Fixture f;
  run_cli({"export", f.path.str(), "--what", "steps", "--out", f.csv.str()});
  auto rows = read_csv(f.csv.str());
  ASSERT_EQ(rows.size(), 6u);
  // make_decode_step: step 0 has no coverage (-1) and no answer flag (-1).
  EXPECT_EQ(rows[1][7], "");
  EXPECT_EQ(rows[1][8], "");
  EXPECT_EQ(rows[2][7], "0.51");
  EXPECT_EQ(rows[2][8], "0");
  EXPECT_EQ(rows[3][3], "a, \"quoted\" piece") << "step 2's text, quoted";
  EXPECT_EQ(rows[4][7], "");
  EXPECT_EQ(rows[4][8], "");
  EXPECT_EQ(rows[5][7], "0.54");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `export R --out R` used to truncate the recording and die of SIGBUS.
TEST(ExportCommand, NeverWritesOverItsInput) {
  Fixture f;
  const std::string before = slurp(f.path.str());
  const std::string link = f.path.str() + ".link";
  const std::string hard = f.path.str() + ".hard";
  ASSERT_EQ(::symlink(f.path.str().c_str(), link.c_str()), 0);
  ASSERT_EQ(::link(f.path.str().c_str(), hard.c_str()), 0);
  for (const std::string& out : {f.path.str(), link, hard}) {
    try {
      run_cli({"export", f.path.str(), "--what", "steps", "--out", out});
      ADD_FAILURE() << "wrote over its input through " << out;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("is the input"), std::string::npos) << e.what();
    }
  }
  std::remove(link.c_str());
  std::remove(hard.c_str());
  EXPECT_EQ(slurp(f.path.str()), before);
  sessions::Reader reader(f.path.str());
  EXPECT_EQ(reader.decode_step_range(f.run).count, 5);
}

// A failing export leaves the old output (or none), never a partial CSV, and
// no temporary file.
TEST(ExportCommand, AFailedExportLeavesNoPartialFile) {
  Fixture f;
  std::ofstream(f.csv.str()) << "old contents\n";
  // Damage the selection of the last step: the export fails near its end.
  sessions::testing::edit_blob(f.path.str(), "level_records", "chosen",
                               "step = 4 AND layer = 1 AND level = 0",
                               [](std::string& b) { sessions::testing::put_int32(b, 0, 1 << 30); });
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "selections", "--out", f.csv.str()}),
               InputError);
  EXPECT_EQ(slurp(f.csv.str()), "old contents\n");
  const std::string folder = f.csv.str().substr(0, f.csv.str().rfind('/'));
  const std::string stem = f.csv.str().substr(f.csv.str().rfind('/') + 1);
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    EXPECT_EQ(entry.path().filename().string().find("." + stem + ".tmp"), std::string::npos)
        << entry.path();
}

TEST(ExportCommand, RefusesRunsAndLayersThatMeanNothing) {
  Fixture f;
  // Negative ids used to mean "all".
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "scores", "--layer", "-5"}),
               CLI::ValidationError);
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "scores", "--run", "-7"}),
               CLI::ValidationError);
  // A layer that was never recorded used to give an empty CSV and exit 0.
  try {
    run_cli({"export", f.path.str(), "--what", "scores", "--layer", "99"});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--layer 99: layers 0..1 are recorded"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "losses", "--layer", "0"}), UsageError);
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "steps", "--steps", "1e5"}), UsageError);
  EXPECT_THROW(run_cli({"export", f.path.str(), "--what", "steps", "--steps", "2:x"}), UsageError);
}

}  // namespace
}  // namespace ssa::cli
