// The Evaluation panel's side: an evaluation results folder written here by
// hand (the contract of `ssa-workbench eval`) is read value for value, and
// damaged CSVs are refused in one line naming the file, line and column;
// the panel renders its chart (one colour per method) and tables; a click on
// a failed example opens its recording at the run and answer step given.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/theme.h"
#include "app/gui/core/virtual_display.h"
#include "app/gui/model/eval_results.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench_ui.h"
#include "sessions/eval_results_format.h"

#include <imgui.h>
#include "tests/gui/offscreen.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

namespace fs = std::filesystem;
using testing::TempRecording;

using testing::pixels_of;

// The contract's header lines (their text is pinned in tests/eval/results_table_test).
const std::string kResultsHeader = std::string(sessions::kEvalResultsColumns) + "\n";
const std::string kExamplesHeader = std::string(sessions::kEvalExamplesColumns) + "\n";

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The headers the page requires, column by column, as eval writes them.
TEST(EvalResults, TheHeadersAreTheContractsColumns) {
  auto joined = [](const std::vector<std::string>& columns) {
    std::string line;
    for (const auto& c : columns) line += (line.empty() ? "" : "|") + c;
    return line;
  };
  EXPECT_EQ(joined(results_header()),
            "method|task|context|k|levels|n|exact|char_accuracy|compression|recall|coverage_mean|"
            "coverage_p10|keys_scored_per_step|keys_read_per_step|ms_per_step");
  EXPECT_EQ(joined(examples_header()),
            "method|task|context|k|levels|example|exact|char_accuracy|answer_unfolded|expected|"
            "generated|recording|run|answer_step");
}

// A results folder as `eval` writes it: SSA k=2 and H-SSA 4-4 k=2 and full
// attention at two contexts, coverage only where measured; three examples,
// one failed with a recording (`recording`, run `run`, answer step 4).
struct Folder {
  explicit Folder(const std::string& recording = "", int64_t run = 1) {
    dir = fs::temp_directory_path() /
          ("ssa_gui_eval_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(dir);
    write(dir / "command.txt", "ssa-workbench eval --tasks passkey --contexts 1024,4096\n");
    write(dir / "results.csv", std::string(kResultsHeader) +
                                   "ssa,passkey,1024,2,,4,1,1,5.5,1,0.91,0.8,300,180,1.25\n"
                                   "ssa,passkey,4096,2,,4,0.5,0.75,18.2,0.5,0.62,0.3,1100,220,1.5\n"
                                   "ssa,passkey,4096,2,4-4,4,0.75,0.9,30,0.75,,,700,140,1.4\n"
                                   "full,passkey,1024,,,4,1,1,1,1,,,1024,1024,2\n"
                                   "full,passkey,4096,,,4,1,1,1,1,,,4096,4096,6.5\n");
    write(dir / "examples.csv",
          std::string(kExamplesHeader) +
              "ssa,passkey,4096,2,,0,0,0.6,0,\"53148\",\"53, \"\"1\"\"\n48\"," + recording + "," +
              (recording.empty() ? "" : std::to_string(run)) + ",4\n" +
              "ssa,passkey,4096,2,,1,1,1,1,\"90210\",\"90210\",,,2\n"
              "full,passkey,1024,,,0,1,1,,\"777\",\"777\",,,\n");
  }
  ~Folder() { testing::remove_tree(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  fs::path dir;
};

TEST(EvalResults, ReadsTheContractValueForValue) {
  const Folder f;
  const EvalResults r = load_eval_results(f.dir.string());
  EXPECT_EQ(r.command, "ssa-workbench eval --tasks passkey --contexts 1024,4096");
  ASSERT_EQ(r.results.size(), 5u);
  const EvalResult& hssa = r.results[2];
  EXPECT_EQ(hssa.config.method, "ssa");
  EXPECT_EQ(hssa.config.levels, "4-4");
  EXPECT_EQ(hssa.config.context, 4096);
  EXPECT_EQ(hssa.config.k, 2);
  EXPECT_EQ(hssa.config.series_name(), "ssa 4-4 k=2");
  EXPECT_EQ(hssa.n, 4);
  EXPECT_DOUBLE_EQ(*hssa.exact, 0.75);
  EXPECT_DOUBLE_EQ(*hssa.compression, 30);
  EXPECT_FALSE(hssa.coverage_mean.has_value()) << "empty is not measured, never 0 or -1";
  EXPECT_FALSE(hssa.coverage_p10.has_value());
  EXPECT_DOUBLE_EQ(*r.results[1].coverage_p10, 0.3);
  EXPECT_EQ(r.results[3].config.k, -1);
  EXPECT_EQ(r.results[3].config.series_name(), "full");
  EXPECT_DOUBLE_EQ(*r.results[4].ms_per_step, 6.5);
  EXPECT_EQ(r.tasks(), std::vector<std::string>{"passkey"});
  ASSERT_TRUE(r.has_examples);
  ASSERT_EQ(r.examples.size(), 3u);
  const EvalExample& bad = r.examples[0];
  EXPECT_TRUE(bad.failed());
  EXPECT_EQ(bad.expected, "53148");
  EXPECT_EQ(bad.generated, "53, \"1\"\n48") << "quotes doubled, comma and line break inside";
  EXPECT_EQ(*bad.answer_unfolded, false);
  EXPECT_EQ(bad.answer_step, 4);
  EXPECT_EQ(bad.recording, "");
  EXPECT_EQ(bad.run, -1);
  EXPECT_FALSE(r.examples[1].failed());
  EXPECT_TRUE(r.examples[1].answer_unfolded.value());
  EXPECT_FALSE(r.examples[2].answer_unfolded.has_value());
  EXPECT_EQ(r.examples[2].answer_step, -1);
}

TEST(EvalResults, ExamplesAreOptionalResultsAreNot) {
  const Folder f;
  fs::remove(f.dir / "examples.csv");
  fs::remove(f.dir / "command.txt");
  const EvalResults r = load_eval_results(f.dir.string());
  EXPECT_FALSE(r.has_examples);
  EXPECT_EQ(r.results.size(), 5u);
  EXPECT_EQ(r.command, "");
  fs::remove(f.dir / "results.csv");
  EXPECT_FALSE(is_results_folder(f.dir.string()));
  EXPECT_THROW(load_eval_results(f.dir.string()), EvalFormatError);
}

struct Damage {
  const char* file;
  std::string text;
  const char* where;  // what the message must name
};

TEST(EvalResults, DamagedCsvsAreRefusedInOneLineNamingTheCell) {
  const std::string ok_row = "ssa,passkey,1024,2,,4,1,1,5.5,1,0.9,0.8,300,180,1.25\n";
  const std::vector<Damage> damages = {
      {"results.csv", "method,task\nssa,passkey\n", "line 1: not the header"},
      {"results.csv", "", "empty"},
      {"results.csv",
       std::string(kResultsHeader) + ok_row + "ssa,passkey,1024,2,,4,1.5,1,5,1,,,1,1,1\n",
       "line 3, column exact"},
      {"results.csv", std::string(kResultsHeader) + "ssa,passkey,1024,2,,4,nan,1,5,1,,,1,1,1\n",
       "line 2, column exact"},
      {"results.csv", std::string(kResultsHeader) + "ssa,passkey,1024,2,,4,-1,1,5,1,,,1,1,1\n",
       "column exact"},
      {"results.csv", std::string(kResultsHeader) + "bogus,passkey,1024,2,,4,1,1,5,1,,,1,1,1\n",
       "column method"},
      {"results.csv", std::string(kResultsHeader) + "ssa,passkey,0,2,,4,1,1,5,1,,,1,1,1\n",
       "column context"},
      {"results.csv", std::string(kResultsHeader) + "ssa,passkey,1024,2,4--4,4,1,1,5,1,,,1,1,1\n",
       "column levels"},
      {"results.csv", std::string(kResultsHeader) + "ssa,passkey,1024,2,,4,1,1\n",
       "line 2: 8 fields, the header has 15"},
      {"results.csv", std::string(kResultsHeader) + "ssa,\"passkey,1024,2,,4,1,1,5,1,,,1,1,1\n",
       "never closed"},
      {"results.csv", std::string(kResultsHeader) + "ssa,\"pass\"key,1024,2,,4,1,1,5,1,,,1,1,1\n",
       "after a closing quote"},
      {"results.csv", std::string(kResultsHeader) + "ssa,passkey,1024,2,,4,1,1,5,1,,,1,1,1e999\n",
       "column ms_per_step"},
      {"examples.csv",
       std::string(kExamplesHeader) + "ssa,passkey,1,2,,0,0,0,0,a,b,/abs.ssarec,1,3\n",
       "column recording"},
      {"examples.csv", std::string(kExamplesHeader) + "ssa,passkey,1,2,,0,0,0,0,a,b,r.ssarec,,3\n",
       "column run"},
      {"examples.csv", std::string(kExamplesHeader) + "ssa,passkey,1,2,,0,0,0,2,a,b,,,3\n",
       "column answer_unfolded"},
      {"examples.csv", std::string(kExamplesHeader) + "ssa,passkey,1,2,,0,0,0,0,a,b,,,-3\n",
       "column answer_step"},
  };
  for (const auto& d : damages) {
    const Folder f;
    write(f.dir / d.file, d.text);
    try {
      load_eval_results(f.dir.string());
      ADD_FAILURE() << "accepted: " << d.text;
    } catch (const EvalFormatError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find(d.file), std::string::npos) << m;
      EXPECT_NE(m.find(d.where), std::string::npos) << m;
    }
  }
}

TEST(EvaluationPanel, ScreenshotShowsTheChartInEachMethodsColour) {
  REQUIRE_DISPLAY();
  const Folder f;
  ShotOptions options;
  options.results = f.dir.string();
  options.view = "evaluation";
  options.width = 1280, options.height = 720;
  const Image shot = render_view(options);
  ASSERT_EQ(shot.width, 1280);
  for (const char* method : {"ssa", "full"})
    EXPECT_GT(pixels_of(shot, theme::method_colour(method)), 200u) << method;
  EXPECT_GT(pixels_of(shot, theme::method_colour("ssa", true)), 100u) << "H-SSA";
  EXPECT_EQ(pixels_of(shot, theme::method_colour("oracle")), 0u) << "no oracle row, no oracle";
  // The chart alone, as `chart` draws it: the same colours.
  const Image chart = render_chart(f.dir.string(), 900, 500);
  EXPECT_EQ(chart.width, 900);
  EXPECT_EQ(chart.height, 500);
  EXPECT_GT(pixels_of(chart, theme::method_colour("full")), 200u);
  options.view = "mask";
  EXPECT_THROW(render_view(options), OptionError) << "a results folder has no mask";
}

TEST(EvaluationPanel, MethodColoursAreDistinct) {
  std::vector<ImU32> colours;
  for (const char* m : {"ssa", "full", "oracle", "gist-only", "recency"})
    colours.push_back(theme::method_colour(m));
  colours.push_back(theme::method_colour("ssa", true));
  for (size_t i = 0; i < colours.size(); ++i)
    for (size_t j = i + 1; j < colours.size(); ++j) EXPECT_NE(colours[i], colours[j]) << i << j;
}

// The page's legend: the folder's methods (SSA, H-SSA, full), each in the
// colour its lines are drawn in; no entry for a method the folder lacks.
TEST(EvaluationPanel, LegendNamesTheFoldersMethodsInTheirColours) {
  const Folder f;
  EvaluationView view;
  EXPECT_TRUE(view.legend().empty()) << "no folder, no methods";
  view.set_results(std::make_shared<const EvalResults>(load_eval_results(f.dir.string())));
  const auto legend = view.legend();
  ASSERT_EQ(legend.size(), 3u);
  EXPECT_STREQ(legend[0].label, "SSA");
  EXPECT_EQ(legend[0].colour, theme::method_colour("ssa"));
  EXPECT_STREQ(legend[1].label, "H-SSA");
  EXPECT_EQ(legend[1].colour, theme::method_colour("ssa", true));
  EXPECT_STREQ(legend[2].label, "full attention");
  EXPECT_EQ(legend[2].colour, theme::method_colour("full"));
}

// A click on the failed example's row opens its recording at its run and step.
TEST(EvaluationPanel, ClickOnAFailedExampleOpensItsRecordingAtTheAnswerStep) {
  REQUIRE_DISPLAY();
  TempRecording rec(testing::small_baselines());
  const fs::path folder = fs::path(rec.path()).parent_path() / "eval";
  std::unique_ptr<Folder> f;
  {
    // The run to open: the recording's second decode run (not the default one).
    auto worker = std::make_unique<Worker>();
    worker->open(rec.path());
    worker->wait_idle();
    worker->poll();
    const auto runs = worker->runs();
    ASSERT_GE(runs.size(), 2u);
    f = std::make_unique<Folder>("../" + fs::path(rec.path()).filename().string(), runs[1]->id.run);
  }
  fs::rename(f->dir, folder);
  f->dir = folder;
  const int w = 1200, h = 800;
  GuiContext context({w, h, false, "eval"});
  WorkbenchUi ui(std::make_unique<Worker>());
  ASSERT_EQ(ui.open_results(folder.string()), "");
  EXPECT_EQ(ui.state().panel, Panel::kEvaluation);
  auto frame = [&](float x, float y, bool down) {
    testing::mouse_frame(context, ui, w, h, x, y, down);
  };
  for (int i = 0; i < 3; ++i) frame(-1, -1, false);
  bool opened = false;
  for (int y = h / 2; y < h && !opened; y += 5) {
    frame(60, static_cast<float>(y), false);
    frame(60, static_cast<float>(y), true);
    frame(60, static_cast<float>(y), false);
    if (ui.worker().files().empty()) continue;
    ui.wait_idle();
    frame(-1, -1, false);
    opened = true;
  }
  ASSERT_TRUE(opened) << "no click on the examples opened a recording";
  EXPECT_EQ(ui.worker().files().size(), 1u);
  EXPECT_EQ(ui.state().panel, Panel::kAll) << ui.state().status;
  auto runs = ui.worker().runs();
  EXPECT_EQ(ui.state().run.run, runs[1]->id.run) << ui.state().status;
  EXPECT_EQ(ui.state().step, 4);
}

TEST(EvaluationPanel, DamagedFolderFromTheWindowSaysWhyInTheStatusLine) {
  const Folder f;
  write(f.dir / "results.csv",
        std::string(kResultsHeader) + "ssa,passkey,1,2,,4,2,1,5,1,,,1,1,1\n");
  WorkbenchUi ui(std::make_unique<Worker>());
  const std::string error = ui.open_results(f.dir.string());
  EXPECT_NE(error.find("column exact"), std::string::npos) << error;
  EXPECT_TRUE(ui.state().status_is_error);
  EXPECT_EQ(ui.state().status, error);
}

}  // namespace
}  // namespace ssa::gui
