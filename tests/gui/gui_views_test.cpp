// Every view rendered offscreen (the screenshot path) from generated
// recordings: not blank, different where the data differ, identical where
// they do not; and the window's input as a person gives it (keys, clicks,
// double-clicks, the Go box, Escape, maximising). Needs an X server: without
// DISPLAY the suite starts its own Xvfb (installed by scripts/setup.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/key_queue.h"
#include "app/gui/core/theme.h"
#include "app/gui/core/virtual_display.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench_ui.h"

#include <imgui.h>
#include "sessions/reader.h"
#include "tests/gui/offscreen.h"
#include "tests/gui/test_recording.h"

namespace ssa::gui {
namespace {

using testing::TempRecording;

using testing::pixels_of;

const char* const kViews[] = {"all",       "mask",     "strip",   "timeline",
                              "hierarchy", "training", "compare", "bookmarks"};

Image render(const std::string& path, const std::string& view, int64_t step, int64_t run = -1,
             int w = 1200, int h = 800) {
  ShotOptions options;
  options.recording = path;
  options.view = view;
  options.step = step;
  options.run = run;
  options.width = w;
  options.height = h;
  return render_view(options);
}

// Distinct colours and the share of pixels unlike the most common one.
struct Content {
  size_t colours = 0;
  double busy = 0;
};
Content content(const Image& image) {
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

TEST_F(GuiViews, EveryViewDrawsSomethingAtBothSizes) {
  REQUIRE_DISPLAY();
  for (const char* view : kViews) {
    for (const auto& [w, h] : {std::pair{1600, 1000}, std::pair{1280, 720}}) {
      const Image image = render(recording_->path(), view, 5, -1, w, h);
      ASSERT_EQ(image.rgba.size(), size_t(w * h * 4));
      const Content c = content(image);
      EXPECT_GT(c.colours, 40u) << view << " " << w;
      EXPECT_GT(c.busy, 0.05) << view << " " << w;
    }
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
    EXPECT_GT(pixels_of(image, theme::gist_level(1)), 20u) << view << ": no meta-gist drawn";
  }
}

// A training run shows its curves; a recording of training runs only opens on them.
TEST_F(GuiViews, TrainingRunShowsItsCurves) {
  REQUIRE_DISPLAY();
  sessions::Reader reader(recording_->path());
  int64_t train = -1;
  for (const auto& r : reader.runs())
    if (r.kind == "train") train = r.id;
  ASSERT_GE(train, 0);
  const Image decode = render(recording_->path(), "training", 0);
  const Image curves = render(recording_->path(), "training", -1, train);
  EXPECT_GT(differing_pixels(decode, curves), 1000u);
  EXPECT_GT(pixels_of(curves, theme::metric()), 500u);
  GuiContext context({800, 600, false, "train"});
  auto worker = std::make_unique<Worker>();
  worker->open(recording_->path());
  WorkbenchUi ui(std::move(worker));
  ui.wait_idle();
  ui.select_run({0, train});
  EXPECT_EQ(ui.state().panel, Panel::kTraining);
}

// A frame of the workbench with input fed as the GLFW backend would.
class Driver {
 public:
  Driver(const std::string& path, int w = 1200, int h = 800)
      : w_(w), h_(h), context_({w, h, false, "input"}) {
    auto worker = std::make_unique<Worker>();
    worker->open(path);
    ui_ = std::make_unique<WorkbenchUi>(std::move(worker));
    ui_->wait_idle();
    frame();
    ui_->wait_idle();
    frame();
  }
  void frame(float x = -1, float y = -1, bool down = false, const char* chars = "") {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(x, y);
    io.MouseDown[0] = down;
    for (const char* c = chars; *c; ++c) io.AddInputCharacter(static_cast<unsigned>(*c));
    context_.begin_frame(w_, h_);
    ui_->frame(1.0f / 60.0f);
    ImGui::Render();
  }
  void press(Key key, int times = 1) {
    for (int i = 0; i < times; ++i) key_queue().press(key);
  }
  void click(float x, float y) {
    frame(x, y);
    frame(x, y, true);
    frame(x, y);
  }
  // After a pause: ImGui counts clicks closer than 0.3 s together (a third is no double-click).
  void double_click(float x, float y) {
    for (int i = 0; i < 24; ++i) frame(x, y);
    frame(x, y, true);
    frame(x, y);
    frame(x, y, true);
    frame(x, y);
  }
  WorkbenchUi& ui() { return *ui_; }

 private:
  int w_, h_;
  GuiContext context_;
  std::unique_ptr<WorkbenchUi> ui_;
};

// The transport's keys through the key queue: presses shorter than a frame
// and a held key's repeats (several in one frame) all count.
TEST_F(GuiViews, KeysDriveTheTransportAndNoPressIsLost) {
  REQUIRE_DISPLAY();
  Driver d(recording_->path(), 800, 600);
  UiState& s = d.ui().state();
  const int64_t first = s.step;
  d.press(Key::kRight);
  d.frame();
  EXPECT_EQ(s.step, first + 1);
  d.press(Key::kRight, 5);  // five repeats between two frames
  d.frame();
  EXPECT_EQ(s.step, first + 6);
  d.press(Key::kEnd);
  d.frame();
  EXPECT_EQ(s.step, 29);  // small_ssa() records 30 steps
  d.press(Key::kLeft);
  d.frame();
  EXPECT_EQ(s.step, 28);
  d.press(Key::kPageUp);
  d.frame();
  EXPECT_EQ(s.step, 18);
  d.press(Key::kHome);
  d.frame();
  EXPECT_EQ(s.step, first);
  d.press(Key::kSpace);
  d.frame();
  EXPECT_TRUE(s.playing);
  for (int i = 0; i < 30; ++i) d.frame();  // 8 steps/s at 60 frames/s: 4 steps
  EXPECT_EQ(s.step, first + 4);
  d.press(Key::kSpace);
  d.frame();
  EXPECT_FALSE(s.playing);
}

// Digits maximise views, 0 and Escape bring the grid back, a double-click on
// a view's title maximises it and another brings the grid back; F1 and ?
// open the help, Escape closes it (and only it).
TEST_F(GuiViews, ViewsMaximiseAndDialogsCloseOnEscape) {
  REQUIRE_DISPLAY();
  Driver d(recording_->path());
  UiState& s = d.ui().state();
  EXPECT_EQ(s.panel, Panel::kAll);
  d.frame(-1, -1, false, "4");
  EXPECT_EQ(s.panel, Panel::kTimeline);
  d.frame(-1, -1, false, "0");
  EXPECT_EQ(s.panel, Panel::kAll);
  d.frame(-1, -1, false, "5");
  EXPECT_EQ(s.panel, Panel::kCompare);
  d.press(Key::kEscape);
  d.frame();
  EXPECT_EQ(s.panel, Panel::kAll);
  // The mask's title row sits at the top left of the grid: find it by
  // double-clicking down the left edge until the mask is maximised.
  bool maximised = false;
  for (int y = 60; y < 260 && !maximised; y += 4) {
    d.double_click(60, static_cast<float>(y));
    maximised = s.panel == Panel::kMask;
  }
  ASSERT_TRUE(maximised) << "no title row to double-click";
  d.press(Key::kF1);
  d.frame();
  EXPECT_TRUE(s.help_open);
  d.press(Key::kEscape);
  d.frame();
  EXPECT_FALSE(s.help_open);
  EXPECT_EQ(s.panel, Panel::kMask) << "Escape closed the dialog, not the maximised view";
  d.frame(-1, -1, false, "?");
  EXPECT_TRUE(s.help_open);
  d.press(Key::kEscape);
  d.frame();
  d.press(Key::kCtrlO);
  d.frame();
  EXPECT_TRUE(s.open_dialog);
  d.press(Key::kEscape);
  d.frame();
  EXPECT_FALSE(s.open_dialog);
}

// A double-click fits the mask without changing the selection its first click made.
TEST_F(GuiViews, DoubleClickFitsTheMaskAndKeepsTheSelection) {
  REQUIRE_DISPLAY();
  Driver d(recording_->path());
  UiState& s = d.ui().state();
  d.ui().set_panel(Panel::kMask);
  d.frame();
  const int32_t before = s.selected_chunk;
  // A single click on the map, left of the answer's chunk, selects the chunk under it.
  d.click(450, 600);
  d.frame();
  const int32_t clicked = s.selected_chunk;
  ASSERT_NE(clicked, before) << "the click selected nothing";
  // Wait out the double-click time, then double-click elsewhere.
  d.double_click(560, 560);
  EXPECT_EQ(s.selected_chunk, clicked);
}

// The Go box shows the current step and applies what is typed on a click of Go.
TEST_F(GuiViews, GoBoxShowsTheStepAndAppliesOnClick) {
  REQUIRE_DISPLAY();
  const int w = 1200, h = 800;
  Driver d(recording_->path(), w, h);
  UiState& s = d.ui().state();
  s.step = 7;
  d.frame();
  // The transport row: where the scrubber is under the pointer in the middle.
  float row_y = -1;
  for (float y = h - 10; y > h - 160 && row_y < 0; y -= 2) {
    d.frame(w * 0.5f, y);
    if (ImGui::IsAnyItemHovered()) row_y = y;
  }
  ASSERT_GE(row_y, 0) << "no scrubber";
  // The box is the rightmost text field on that row: a click there takes text.
  float box_x = -1;
  for (float x = w - 12; x > w - 260 && box_x < 0; x -= 6) {
    d.click(x, row_y);
    if (ImGui::GetIO().WantTextInput) box_x = x;
  }
  ASSERT_GE(box_x, 0) << "no Go box";
  EXPECT_EQ(s.step, 7);
  d.frame(box_x, row_y, false, "12");  // replaces the "7" it showed (selected on focus)
  d.frame(box_x, row_y);
  EXPECT_EQ(s.step, 7) << "typing alone does not move";
  // Go is right of the box: clicks further right until the step moves.
  for (float x = box_x + 8; x < w - 4 && s.step != 12; x += 6) d.click(x, row_y);
  EXPECT_EQ(s.step, 12);
  d.frame();
  EXPECT_FALSE(ImGui::GetIO().WantTextInput);
}

// Bookmarks without a name are named after what they mark; the same place
// twice is refused.
TEST_F(GuiViews, BookmarksGetUsefulNamesAndRefuseDuplicates) {
  REQUIRE_DISPLAY();
  TempRecording rec(testing::small_ssa());
  Driver d(rec.path());
  UiState& s = d.ui().state();
  s.step = 4;
  d.frame(-1, -1, false, "b");
  d.ui().wait_idle();
  d.frame();
  auto run = d.ui().worker().run(s.run);
  ASSERT_EQ(run->bookmarks.size(), 1u);
  const std::string name = run->bookmarks[0].name;
  EXPECT_NE(name.find("step 4"), std::string::npos) << name;
  EXPECT_NE(name.find("chunk " + std::to_string(s.selected_chunk)), std::string::npos) << name;
  EXPECT_NE(name.find("the answer's"), std::string::npos) << name;
  d.frame(-1, -1, false, "b");
  d.ui().wait_idle();
  d.frame();
  EXPECT_EQ(d.ui().worker().run(s.run)->bookmarks.size(), 1u);
  EXPECT_NE(s.status.find("bookmarked already"), std::string::npos) << s.status;
}

// The coverage colour shows in every view that draws decode steps when the
// runs measured the full-attention mass, and nowhere when they did not.
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
  for (const auto& info : reader.runs())
    for (const char* view : {"training", "compare"})
      EXPECT_GT(content(render(with.path(), view, 5, info.id)).colours, 40u)
          << info.name << " " << view;
}

// A run that unfolds the answer's chunk at every step (oracle) draws more
// "answer unfolded" marks than one that never does (recency).
TEST_F(GuiViews, AnswerUnfoldedMarksFollowTheFlag) {
  REQUIRE_DISPLAY();
  TempRecording rec(testing::small_baselines());
  sessions::Reader reader(rec.path());
  const auto runs = reader.runs();
  const Image oracle = render(rec.path(), "training", 5, runs[2].id);
  const Image recency = render(rec.path(), "training", 5, runs[3].id);
  EXPECT_GT(pixels_of(oracle, theme::chosen()), pixels_of(recency, theme::chosen()) + 50);
}

// The pointer over every view (tooltips of lanes, cells, boxes, plots) for a
// selective run and the full-attention baseline never fails; then a click
// on the transport's step lane goes to the step under the pointer.
TEST_F(GuiViews, PointerEverywhereShowsTooltipsAndClicksGoToTheStep) {
  REQUIRE_DISPLAY();
  TempRecording rec(testing::small_baselines());
  const int w = 900, h = 640;
  Driver d(rec.path(), w, h);
  const auto runs = d.ui().worker().runs();
  for (const auto& run : {runs.front(), runs.back()}) {
    d.ui().select_run(run->id);
    for (Panel panel :
         {Panel::kAll, Panel::kTimeline, Panel::kTraining, Panel::kCompare, Panel::kHierarchy}) {
      d.ui().set_panel(panel);
      d.frame();
      d.ui().wait_idle();
      for (int y = 3; y < h; y += 29)
        for (int x = 5; x < w; x += 37) d.frame(static_cast<float>(x), static_cast<float>(y));
      EXPECT_FALSE(d.ui().state().playing);
    }
  }
  d.ui().select_run(runs.front()->id);
  d.ui().set_panel(Panel::kTraining);
  auto click = [&](float x, float y) {  // returns whether an item (the scrubber) was under it
    d.frame(x, y);
    const bool over_item = ImGui::IsAnyItemHovered();
    d.frame(x, y, true);
    d.frame(x, y);
    return over_item;
  };
  const float x_left = w * 0.45f, x_right = w * 0.72f;  // under the scrubber
  int lane_y = -1;
  for (int y = h - 2; y > h - 110 && lane_y < 0; --y) {
    d.ui().state().step = 0;
    const bool over_item = click(x_right, static_cast<float>(y));
    if (d.ui().state().step != 0) {
      EXPECT_FALSE(over_item) << "y " << y;
      lane_y = y;
    }
  }
  ASSERT_GE(lane_y, 0) << "no step lane under the scrubber";
  click(x_left, static_cast<float>(lane_y));
  const int64_t left = d.ui().state().step;
  click(x_right, static_cast<float>(lane_y));
  const int64_t right = d.ui().state().step;
  EXPECT_LT(left, right);
  EXPECT_LE(right, 11);
  EXPECT_FALSE(d.ui().state().playing);
}

// Options naming what the recording does not have are refused in one line.
TEST_F(GuiViews, OptionsOutOfRangeAreRefusedInOneLine) {
  REQUIRE_DISPLAY();
  auto expect_refused = [&](ShotOptions options, const std::string& words) {
    options.recording = recording_->path();
    options.width = 800, options.height = 600;
    try {
      render_view(options);
      FAIL() << "accepted: " << words;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  };
  ShotOptions o;
  o.view = "spectrogram";
  expect_refused(o, "--view spectrogram");
  o = {};
  o.run = 999;
  expect_refused(o, "no run #999");
  o = {};
  o.step = 30;
  expect_refused(o, "--step 30: run #1 has steps 0..29");
  o = {};
  o.layer = 2;
  expect_refused(o, "--layer 2: run #1 has layers 0..1");
  o = {};
  o.head = 4;
  expect_refused(o, "--head 4");
  o = {};
  o.chunk = 100000;
  expect_refused(o, "--chunk 100000");
}

// The memory figures `bench gui` and `bench live` print, from /proc/self/status:
// this process is resident, its peak is at least that, and the resident pages
// split into anonymous and file-backed ones (shared memory is the rest).
TEST(Memory, ResidentFiguresComeFromTheProcess) {
  const auto [rss, peak] = resident_kb();
  EXPECT_GT(rss, 0);
  EXPECT_GE(peak, rss);
  const FrameTimes::Memory m = memory_now();
  EXPECT_GT(m.rss_kb, 0);
  EXPECT_GT(m.anon_kb, 0);
  EXPECT_GT(m.file_kb, 0);
  EXPECT_LE(m.anon_kb + m.file_kb, m.rss_kb);
}

}  // namespace
}  // namespace ssa::gui
