// The first screen: the demo list described from each recording's own runs
// (the shipped toy demo as it is, a real-model recording as `record` writes
// one for a Hugging Face checkpoint), a missing or damaged demo listed
// disabled with its reason, and the page itself: a click on a card opens
// that demo at its first decode run, a click on a disabled one opens nothing.
#include <gtest/gtest.h>
#include <imgui.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/theme.h"
#include "app/gui/demo_list.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench_ui.h"
#include "app/summary/recording_summary.h"
#include "sessions/writer.h"
#include "tests/gui/offscreen.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

namespace fs = std::filesystem;

// A folder of demos, $SSA_DEMO_DIR while it lives.
class DemoFolder {
 public:
  DemoFolder() {
    dir_ = fs::temp_directory_path() /
           ("ssa_gui_demos_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(dir_);
    ::setenv("SSA_DEMO_DIR", dir_.c_str(), 1);
  }
  ~DemoFolder() {
    ::unsetenv("SSA_DEMO_DIR");
    testing::remove_tree(dir_);
  }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

 private:
  fs::path dir_;
  static inline int counter_ = 0;
};

// A recording of decode runs with these configurations, as `record` writes them.
void write_runs(const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& name_and_config) {
  sessions::Writer writer(path);
  for (const auto& [name, config] : name_and_config) {
    sessions::RunInfo info;
    info.name = name;
    info.kind = "decode";
    info.config_json = config;
    writer.end_run(writer.begin_run(info));
  }
  writer.close();
}

// What `record` writes for a trained SmolLM2 (its config's ssa block gave the layout).
const std::string kRealConfig =
    R"({"model":"out/smollm2-ssa/model","tokenizer":"tokenizer.json","layout_from":"ssa block",)"
    R"("task":"passkey","context":4096,"budget":"fixed","k":4,"baseline":"none",)"
    R"("previous_chunks":1,"layout":{"hierarchy":"chunk8","sink":3,"group_sizes":[]}})";

TEST(DemoList, TheShippedToyDemoIsDescribedFromItsRuns) {
  const Demo demo = describe_demo(summary::default_demo_path(), "?");
  ASSERT_TRUE(demo.available()) << demo.problem;
  EXPECT_EQ(demo.title, "Toy demo");
  EXPECT_EQ(demo.description,
            "ssa-small, hssa-small (byte-level, trained with gists) \xC2\xB7 passkey, 4,096 bytes "
            "of context \xC2\xB7 SSA chunk8, sink 3, previous 1, k=4");
  EXPECT_EQ(demo.runs.rfind("6 runs: SSA chunk8, k=4 \xC2\xB7 oracle, k=4", 0), 0u) << demo.runs;
}

TEST(DemoList, TheShippedRealModelDemoIsDescribedFromItsRun) {
  const fs::path real = fs::path(summary::default_demo_path()).parent_path() / kRealModelDemoFile;
  const Demo demo = describe_demo(real.string(), "?");
  ASSERT_TRUE(demo.available()) << demo.problem;
  EXPECT_EQ(demo.title, "Real-model demo");
  // Trained by scripts/gpu-train-eval.sh: its selective phase's model folder.
  EXPECT_EQ(demo.description,
            "gpu-train-eval/selective (trained with gists) \xC2\xB7 passkey, 4,096 tokens of "
            "context \xC2\xB7 SSA chunk8, sink 3, previous 1, k=4");
  EXPECT_EQ(demo.runs, "1 run: SmolLM2-135M SSA chunk8, passkey 4096, k 4, seed 23");
}

TEST(DemoList, BothDemosByNameThenTheFolderOthers) {
  const DemoFolder folder;
  fs::copy_file(summary::default_demo_path(), folder.path(kToyDemoFile));
  std::string full = kRealConfig;
  full.replace(full.find("\"none\""), 6, "\"full\"");
  write_runs(folder.path(kRealModelDemoFile),
             {{"SSA chunk8, k=4", kRealConfig}, {"full attention", full}});
  // A base checkpoint given its layout by flags, and a file that is no recording.
  std::string base = kRealConfig;
  base.replace(base.find("ssa block"), 9, "flags");
  base.replace(base.find("out/smollm2-ssa/model"), 21, ".cache/models/smollm2-135m-instruct");
  write_runs(folder.path("base.ssarec"), {{"base", base}});
  std::ofstream(folder.path("broken.ssarec")) << "not a recording";
  const auto demos = list_demos();
  ASSERT_EQ(demos.size(), 4u);
  EXPECT_EQ(demos[0].title, "Toy demo");
  EXPECT_EQ(demos[0].path, folder.path(kToyDemoFile));
  EXPECT_TRUE(demos[0].available());
  EXPECT_EQ(demos[1].title, "Real-model demo");
  EXPECT_TRUE(demos[1].available()) << demos[1].problem;
  EXPECT_EQ(demos[1].description,
            "smollm2-ssa (trained with gists) \xC2\xB7 passkey, 4,096 tokens of context \xC2\xB7 "
            "SSA chunk8, sink 3, previous 1, k=4");
  EXPECT_EQ(demos[1].runs, "2 runs: SSA chunk8, k=4 \xC2\xB7 full attention");
  EXPECT_EQ(demos[2].path, folder.path("base.ssarec"));
  EXPECT_EQ(demos[2].title, "base");  // any other recording is named by its file
  EXPECT_EQ(demos[2].description.rfind("smollm2-135m-instruct (base checkpoint, gists not "
                                       "trained)",
                                       0),
            0u)
      << demos[2].description;
  EXPECT_EQ(demos[3].path, folder.path("broken.ssarec"));
  EXPECT_FALSE(demos[3].available());
  EXPECT_EQ(demos[3].problem.find('\n'), std::string::npos) << demos[3].problem;
}

// A configuration whose layout is not an object, or whose group sizes are not
// a list (a crafted or foreign file): the demo is still described, never a throw.
TEST(DemoList, AMalformedConfigurationIsDescribedNotThrown) {
  const DemoFolder folder;
  std::string bad = kRealConfig;
  const std::string layout = R"("layout":{"hierarchy":"chunk8","sink":3,"group_sizes":[]})";
  bad.replace(bad.find(layout), layout.size(), R"("layout":"chunk8")");
  write_runs(folder.path(kRealModelDemoFile), {{"SSA", bad}});
  std::string sizes = kRealConfig;
  sizes.replace(sizes.find(R"("group_sizes":[])"), 16, R"("group_sizes":7)");
  write_runs(folder.path("sizes.ssarec"), {{"SSA", sizes}});
  const auto demos = list_demos();
  ASSERT_EQ(demos.size(), 3u);
  EXPECT_TRUE(demos[1].available()) << demos[1].problem;  // a string layout reads as unknown
  EXPECT_NE(demos[1].description.find("SSA layout unknown"), std::string::npos)
      << demos[1].description;
  EXPECT_TRUE(demos[2].available()) << demos[2].problem;  // group sizes not a list: one level
  EXPECT_NE(demos[2].description.find("SSA chunk8"), std::string::npos) << demos[2].description;
}

TEST(DemoList, AMissingDemoIsListedWithTheReason) {
  const DemoFolder folder;
  const auto demos = list_demos();
  ASSERT_EQ(demos.size(), 2u);
  for (const auto& d : demos) {
    EXPECT_FALSE(d.available());
    EXPECT_NE(d.problem.find("missing"), std::string::npos) << d.problem;
  }
  EXPECT_EQ(demos[0].title, "Toy demo");
  EXPECT_EQ(demos[1].title, "Real-model demo");
  EXPECT_NE(demos[1].problem.find(kRealModelDemoFile), std::string::npos) << demos[1].problem;
}

// The page drawn, a card clicked: `clicks` from the bottom of the window up
// at its middle, until a file opens.
TEST(DemoPage, ACardOpensItsDemoAndADisabledOneOpensNothing) {
  REQUIRE_DISPLAY();
  const DemoFolder folder;
  testing::RecordingShape shape;
  shape.train_run = false;
  testing::generate_recording(folder.path(kToyDemoFile), shape);  // no real-model demo
  const int w = 1280, h = 720;
  GuiContext context({w, h, false, "demos"});
  WorkbenchUi ui(std::make_unique<Worker>());
  ui.set_panel(Panel::kStart);
  auto frame = [&](float x, float y, bool down) {
    testing::mouse_frame(context, ui, w, h, x, y, down);
  };
  for (int i = 0; i < 3; ++i) frame(-1, -1, false);
  // Upwards: the real-model card (disabled) is met before the toy's.
  for (int y = h - 40; y > 0 && ui.worker().files().empty(); y -= 6) {
    frame(w / 2.0f, static_cast<float>(y), false);
    frame(w / 2.0f, static_cast<float>(y), true);
    frame(w / 2.0f, static_cast<float>(y), false);
  }
  ASSERT_EQ(ui.worker().files().size(), 1u) << "no click opened a demo";
  EXPECT_EQ(ui.worker().files()[0]->path, folder.path(kToyDemoFile));
  ui.wait_idle();
  for (int i = 0; i < 2; ++i) frame(-1, -1, false);
  EXPECT_EQ(ui.state().panel, Panel::kAll) << ui.state().status;
  ASSERT_TRUE(ui.state().run.valid());
  EXPECT_EQ(ui.state().run.file, 0);
  EXPECT_FALSE(ui.state().status_is_error) << ui.state().status;
}

// A recording opened from the first screen (File > Open, Ctrl+O) is shown:
// the first screen gives way to the workbench once its run has loaded.
TEST(DemoPage, OpeningARecordingLeavesTheFirstScreen) {
  REQUIRE_DISPLAY();
  const DemoFolder folder;
  testing::RecordingShape shape;
  shape.train_run = false;
  testing::generate_recording(folder.path(kToyDemoFile), shape);
  const int w = 1280, h = 720;
  GuiContext context({w, h, false, "open"});
  WorkbenchUi ui(std::make_unique<Worker>());
  ui.set_panel(Panel::kStart);
  auto frame = [&] { testing::mouse_frame(context, ui, w, h, -1, -1, false); };
  for (int i = 0; i < 2; ++i) frame();
  ui.open(folder.path(kToyDemoFile));
  ui.wait_idle();
  for (int i = 0; i < 2; ++i) frame();
  ASSERT_TRUE(ui.state().run.valid()) << ui.state().status;
  EXPECT_EQ(ui.state().panel, Panel::kAll) << ui.state().status;
}

// File > Open's status line follows the load: "opening" while it loads, then
// that it opened (as after a demo), or the file's error when it failed.
TEST(DemoPage, FileOpenSaysOpenedOnceLoadedOrWhyNot) {
  REQUIRE_DISPLAY();
  const DemoFolder folder;
  testing::RecordingShape shape;
  shape.train_run = false;
  const std::string good = folder.path("good.sqlite"), bad = folder.path("bad.sqlite");
  testing::generate_recording(good, shape);
  std::ofstream(bad) << "not a recording";
  const int w = 1280, h = 720;
  GuiContext context({w, h, false, "open status"});
  WorkbenchUi ui(std::make_unique<Worker>());
  auto frame = [&] { testing::mouse_frame(context, ui, w, h, -1, -1, false); };
  frame();
  ui.open(good);
  EXPECT_EQ(ui.state().status, "opening " + good);
  ui.wait_idle();
  for (int i = 0; i < 2; ++i) frame();
  EXPECT_EQ(ui.state().status, "opened " + good);
  EXPECT_FALSE(ui.state().status_is_error);
  const RunId shown = ui.state().run;
  ASSERT_TRUE(shown.valid());

  ui.open(bad);
  ui.wait_idle();
  for (int i = 0; i < 2; ++i) frame();
  ASSERT_EQ(ui.worker().files().size(), 2u);
  ASSERT_FALSE(ui.worker().files()[1]->error.empty());
  EXPECT_EQ(ui.state().status, ui.worker().files()[1]->error);
  EXPECT_TRUE(ui.state().status_is_error);
  EXPECT_EQ(ui.state().run.file, shown.file) << "a failed open leaves the run shown";
  EXPECT_EQ(ui.state().run.run, shown.run);
}

// Pixels within a few levels of `colour` per channel: antialiased text has
// few of its exact colour.
size_t near_pixels(const Image& image, ImU32 colour) {
  const int rgb[3] = {int(colour & 255), int((colour >> 8) & 255), int((colour >> 16) & 255)};
  size_t n = 0;
  for (size_t i = 0; i + 3 < image.rgba.size(); i += 4) {
    bool near = true;
    for (int c = 0; c < 3; ++c) near = near && std::abs(image.rgba[i + c] - rgb[c]) <= 24;
    n += near;
  }
  return n;
}

// The first screen as `screenshot --view demos` draws it: the missing demo's
// reason in the error colour, none of it when both are there.
TEST(DemoPage, ScreenshotSaysWhichDemoIsMissing) {
  REQUIRE_DISPLAY();
  const DemoFolder folder;
  fs::copy_file(summary::default_demo_path(), folder.path(kToyDemoFile));
  ShotOptions options;
  options.view = "demos";
  options.width = 1280, options.height = 720;
  const Image missing = render_view(options);
  EXPECT_GT(near_pixels(missing, theme::error()), 50u);
  write_runs(folder.path(kRealModelDemoFile), {{"SSA chunk8, k=4", kRealConfig}});
  const Image both = render_view(options);
  EXPECT_EQ(near_pixels(both, theme::error()), 0u);
  options.view = "mask";
  EXPECT_THROW(render_view(options), OptionError) << "a mask needs a recording";
}

}  // namespace
}  // namespace ssa::gui
