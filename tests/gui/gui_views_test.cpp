// Every view rendered offscreen (the screenshot path) from generated
// recordings: not blank, different where the data differ, identical where
// they do not. Needs an X server: without DISPLAY the suite starts its own
// Xvfb (installed by scripts/setup.sh); with neither, the tests skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/theme.h"
#include "app/gui/core/virtual_display.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench_ui.h"

#include <imgui.h>
#include "sessions/reader.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

using testing::TempRecording;

// One private Xvfb for the whole suite when there is no display.
class DisplayEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!display_available() && VirtualDisplay::installed())
      display_ = std::make_unique<VirtualDisplay>(1600, 1000);
  }
  void TearDown() override { display_.reset(); }

 private:
  std::unique_ptr<VirtualDisplay> display_;
};
const auto* const kDisplay = ::testing::AddGlobalTestEnvironment(new DisplayEnvironment);

#define REQUIRE_DISPLAY() \
  if (!display_available()) GTEST_SKIP() << "no X display (run under xvfb-run)"

const char* const kViews[] = {"all",       "mask",     "strip",   "timeline",
                              "hierarchy", "training", "compare", "bookmarks"};

Image render(const std::string& path, const std::string& view, int64_t step, int64_t run = -1) {
  ShotOptions options;
  options.recording = path;
  options.view = view;
  options.step = step;
  options.run = run;
  options.width = 1200;
  options.height = 800;
  return render_view(options);
}

// Distinct colours and the share of pixels unlike the most common one.
struct Content {
  size_t colours = 0;
  double busy = 0;
};
Content content(const Image& image) {
  std::set<uint32_t> colours;
  std::map<uint32_t, size_t> counts;
  const uint32_t* px = reinterpret_cast<const uint32_t*>(image.rgba.data());
  const size_t n = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) counts[px[i]]++;
  size_t top = 0;
  for (const auto& [c, k] : counts) top = std::max(top, k);
  return {counts.size(), 1.0 - static_cast<double>(top) / n};
}

size_t differing_pixels(const Image& a, const Image& b) {
  size_t diff = 0;
  for (size_t i = 0; i + 3 < a.rgba.size(); i += 4)
    diff +=
        a.rgba[i] != b.rgba[i] || a.rgba[i + 1] != b.rgba[i + 1] || a.rgba[i + 2] != b.rgba[i + 2];
  return diff;
}

class GuiViews : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { recording_ = new TempRecording(testing::small_ssa()); }
  static void TearDownTestSuite() { delete recording_; }
  static TempRecording* recording_;
};
TempRecording* GuiViews::recording_ = nullptr;

TEST_F(GuiViews, EveryViewDrawsSomething) {
  REQUIRE_DISPLAY();
  for (const char* view : kViews) {
    const Image image = render(recording_->path(), view, 5);
    ASSERT_EQ(image.rgba.size(), size_t(1200 * 800 * 4));
    const Content c = content(image);
    EXPECT_GT(c.colours, 40u) << view;
    EXPECT_GT(c.busy, 0.05) << view;
  }
}

// Steps 3 and 21 unfold different chunks in the recording; every per-step
// view must show it, and the same step must render the same pixels.
TEST_F(GuiViews, PerStepViewsChangeWithTheData) {
  REQUIRE_DISPLAY();
  sessions::Reader reader(recording_->path());
  const int64_t run = reader.runs().front().id;
  auto chunks = [&](int64_t step) {
    std::set<int32_t> ids;
    for (const auto& u : reader.unfolds_at(run, step))
      if (u.level == 0) ids.insert(u.id);
    return ids;
  };
  ASSERT_NE(chunks(3), chunks(21)) << "the generated recording should choose differently";
  for (const char* view : {"all", "mask", "strip", "timeline", "hierarchy", "compare"}) {
    const Image a = render(recording_->path(), view, 3);
    const Image again = render(recording_->path(), view, 3);
    const Image b = render(recording_->path(), view, 21);
    EXPECT_EQ(differing_pixels(a, again), 0u) << view << ": same step, different pixels";
    EXPECT_GT(differing_pixels(a, b), 200u) << view << ": steps 3 and 21 look the same";
  }
}

TEST_F(GuiViews, HierarchicalRecordingRendersEveryLevel) {
  REQUIRE_DISPLAY();
  TempRecording hssa(testing::small_hssa());
  for (const char* view : {"mask", "hierarchy", "timeline"}) {
    const Image image = render(hssa.path(), view, 4);
    EXPECT_GT(content(image).colours, 40u) << view;
  }
}

TEST_F(GuiViews, TrainingRunShowsItsCurves) {
  REQUIRE_DISPLAY();
  sessions::Reader reader(recording_->path());
  int64_t train = -1;
  for (const auto& r : reader.runs())
    if (r.kind == "train") train = r.id;
  ASSERT_GE(train, 0);
  const Image decode = render(recording_->path(), "training", 0);
  const Image curves = render(recording_->path(), "training", 0, train);
  EXPECT_GT(differing_pixels(decode, curves), 1000u);
}

// The transport's keys, fed through ImGui's input as the GLFW backend would.
TEST_F(GuiViews, KeyboardDrivesTheTransport) {
  REQUIRE_DISPLAY();
  GuiContext context({800, 600, false, "keys"});
  WorkbenchUi ui(std::make_unique<SessionModel>(recording_->path()));
  auto frame_with = [&](int key) {
    ImGuiIO& io = ImGui::GetIO();
    if (key >= 0) io.KeysDown[ImGui::GetKeyIndex(key)] = true;
    context.begin_frame(800, 600);
    ui.frame(1.0f / 60.0f);
    ImGui::Render();
    if (key >= 0) io.KeysDown[ImGui::GetKeyIndex(key)] = false;
  };
  frame_with(-1);
  const int64_t first = ui.state().step;
  frame_with(ImGuiKey_RightArrow);
  EXPECT_EQ(ui.state().step, first + 1);
  frame_with(-1);
  frame_with(ImGuiKey_End);
  EXPECT_EQ(ui.state().step, 29);  // small_ssa() records 30 steps
  frame_with(-1);
  frame_with(ImGuiKey_LeftArrow);
  EXPECT_EQ(ui.state().step, 28);
  frame_with(-1);
  frame_with(ImGuiKey_Home);
  EXPECT_EQ(ui.state().step, first);
  frame_with(-1);
  frame_with(ImGuiKey_Space);
  EXPECT_TRUE(ui.state().playing);
  for (int i = 0; i < 30; ++i) frame_with(-1);  // 8 steps/s at 60 frames/s: 4 steps
  EXPECT_EQ(ui.state().step, first + 4);
  frame_with(ImGuiKey_Space);
  EXPECT_FALSE(ui.state().playing);
}

// Pixels of exactly `colour` (RGB), the theme's packing (ImU32 is ABGR, the image RGBA).
size_t pixels_of(const Image& image, ImU32 colour) {
  const uint8_t r = colour & 255, g = (colour >> 8) & 255, b = (colour >> 16) & 255;
  size_t n = 0;
  for (size_t i = 0; i + 3 < image.rgba.size(); i += 4)
    n += image.rgba[i] == r && image.rgba[i + 1] == g && image.rgba[i + 2] == b;
  return n;
}

// The coverage colour shows in every view that draws decode steps when the
// runs measured the full-attention mass, and nowhere when they did not; every
// baseline run renders in every view that shows decode steps.
TEST_F(GuiViews, CoverageShowsWhereMeasuredAndOnlyThere) {
  REQUIRE_DISPLAY();
  TempRecording with(testing::small_baselines());
  testing::RecordingShape plain = testing::small_baselines();
  plain.shadow_full = false;
  TempRecording without(plain);
  for (const char* view : {"all", "timeline", "training", "compare"}) {
    EXPECT_GT(pixels_of(render(with.path(), view, 5), theme::coverage()), 100u) << view;
    EXPECT_EQ(pixels_of(render(without.path(), view, 5), theme::coverage()), 0u) << view;
  }
  sessions::Reader reader(with.path());
  for (const auto& info : reader.runs()) {
    for (const char* view : {"training", "compare"}) {
      const Image image = render(with.path(), view, 5, info.id);
      EXPECT_GT(content(image).colours, 40u) << info.name << " " << view;
    }
  }
  // The full-attention run measures nothing: no coverage in its own views
  // (the compare table still shows the other runs' coverage).
  const int64_t full = reader.runs().back().id;
  EXPECT_EQ(pixels_of(render(with.path(), "training", 5, full), theme::coverage()), 0u);
}

// The answer colour marks the steps that unfolded the answer chunk: a run
// that never unfolds it (recency) draws fewer answer pixels in the decode
// costs than one that does at every step (oracle).
TEST_F(GuiViews, AnswerMarksFollowTheAnswerFlag) {
  REQUIRE_DISPLAY();
  TempRecording rec(testing::small_baselines());
  sessions::Reader reader(rec.path());
  const auto runs = reader.runs();
  const Image oracle = render(rec.path(), "training", 5, runs[2].id);
  const Image recency = render(rec.path(), "training", 5, runs[3].id);
  EXPECT_GT(pixels_of(oracle, theme::answer()), pixels_of(recency, theme::answer()) + 50);
}

// The pointer over every view that shows decode steps (tooltips of the lanes,
// the gutter, the compare table and the plots), for a selective run and the
// full-attention baseline; then a click on the transport's step lane goes to
// the step under the pointer without touching the scrubber.
TEST_F(GuiViews, PointerOverStepMarksShowsTooltipsAndClicksGoToTheStep) {
  REQUIRE_DISPLAY();
  TempRecording rec(testing::small_baselines());
  const int w = 900, h = 640;
  GuiContext context({w, h, false, "pointer"});
  WorkbenchUi ui(std::make_unique<SessionModel>(rec.path()));
  auto frame = [&](float x, float y, bool down) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(x, y);
    io.MouseDown[0] = down;
    context.begin_frame(w, h);
    ui.frame(1.0f / 60.0f);
    ImGui::Render();
  };
  const auto runs = ui.model().runs();
  for (int64_t run : {runs.front().id, runs.back().id}) {
    ui.select_run(run);
    for (Panel panel : {Panel::kAll, Panel::kTimeline, Panel::kTraining, Panel::kCompare}) {
      ui.set_panel(panel);
      frame(0, 0, false);
      ui.wait_idle();
      for (int y = 3; y < h; y += 29)
        for (int x = 5; x < w; x += 37) frame(static_cast<float>(x), static_cast<float>(y), false);
      EXPECT_FALSE(ui.state().playing);
    }
  }
  ui.select_run(runs.front().id);
  ui.set_panel(Panel::kTraining);
  // From the bottom up, the first row whose click moves the step is the lane
  // (below it only the panel's padding), not the scrubber above it.
  auto click = [&](float x, float y) {  // returns whether an item (the scrubber) was under it
    frame(x, y, false);
    const bool over_item = ImGui::IsAnyItemHovered();
    frame(x, y, true);
    frame(x, y, false);
    return over_item;
  };
  const float x_left = w * 0.45f, x_right = w * 0.72f;  // under the scrubber
  int lane_y = -1;
  for (int y = h - 2; y > h - 90 && lane_y < 0; --y) {
    ui.state().step = 0;
    const bool over_item = click(x_right, static_cast<float>(y));
    if (ui.state().step != 0) {
      EXPECT_FALSE(over_item) << "y " << y;
      lane_y = y;
    }
  }
  ASSERT_GE(lane_y, 0) << "no step lane under the scrubber";
  click(x_left, static_cast<float>(lane_y));
  const int64_t left = ui.state().step;
  click(x_right, static_cast<float>(lane_y));
  const int64_t right = ui.state().step;
  EXPECT_LT(left, right);
  EXPECT_LE(right, 11);
  EXPECT_FALSE(ui.state().playing);
}

TEST_F(GuiViews, UserErrorsAreOneLine) {
  REQUIRE_DISPLAY();
  try {
    render(recording_->path(), "spectrogram", 0);
    FAIL() << "accepted an unknown view";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("unknown view"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  try {
    render(recording_->path(), "mask", 0, 999);
    FAIL() << "accepted a missing run";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("no run #999"), std::string::npos);
  }
}

}  // namespace
}  // namespace ssa::gui
