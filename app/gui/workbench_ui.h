// WorkbenchUi: the GUI core. Builds one ImGui frame of the workbench (menu,
// panels, transport, status bar) from a SessionModel. It knows nothing of
// GLFW or of how the frame reaches the screen: the window loop and the
// offscreen screenshot path both call frame() between NewFrame and Render.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/model/session_model.h"
#include "app/gui/ui_state.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

// What fills the window: every panel, or one panel alone (screenshots).
enum class Panel { kAll, kMask, kStrip, kTimeline, kHierarchy, kTraining, kCompare, kBookmarks };
// "all", "mask", "strip", "timeline", "hierarchy", "training", "compare", "bookmarks".
std::optional<Panel> parse_panel(const std::string& name);
const char* panel_names();  // for help texts

class WorkbenchUi {
 public:
  explicit WorkbenchUi(std::unique_ptr<SessionModel> model);
  ~WorkbenchUi();

  // Builds the whole frame; dt is the time since the previous one (playback).
  void frame(float dt);
  void set_panel(Panel panel) { panel_ = panel; }
  // Shows another run of the file: its first step, its answer chunk selected.
  void select_run(int64_t run_id);
  // Zooms the mask view to `pixels_per_position` around stream position `pos`.
  void focus_mask(int64_t pos, float pixels_per_position) {
    views_->mask.focus(pos, pixels_per_position);
  }
  void fit_mask() { views_->mask.fit(); }
  // Opens another recording (session browser, recent files); errors go to the status bar.
  void open(const std::string& path);
  // Live mode: re-read the file about once a second while a writer adds to it.
  void set_follow(bool follow) { follow_ = follow; }
  // Blocks until background loads and rasters requested so far are done.
  void wait_idle();

  // Milliseconds each part of the last frame took to build (for `bench gui`).
  struct PartTime {
    const char* name;
    double ms;
  };
  const std::vector<PartTime>& last_frame_parts() const { return parts_; }

  UiState& state() { return state_; }
  SessionModel& model() { return *model_; }
  bool quit_requested() const { return quit_; }

 private:
  ViewContext make_context();
  void draw_menu(ViewContext& ctx);
  void draw_status(ViewContext& ctx);
  void draw_all(ViewContext& ctx);
  void draw_single(ViewContext& ctx);
  void reset_state_for_run();
  // Runs draw() and records its time under `name`.
  template <class Draw>
  void timed(const char* name, Draw&& draw);

  std::unique_ptr<SessionModel> model_;
  UiState state_;
  Panel panel_ = Panel::kAll;
  bool quit_ = false;
  bool follow_ = false;
  float follow_clock_ = 0;
  std::vector<PartTime> parts_;
  bool browser_open_ = false;
  // Views cache textures per run; a newly opened file gets fresh ones.
  struct Views {
    MaskView mask;
    TokenStripView strip;
    ScoreTimelineView timeline;
    HierarchyView hierarchy;
    TrainingView training;
    TransportView transport;
    CompareView compare;
    BookmarksView bookmarks;
  };
  std::unique_ptr<Views> views_ = std::make_unique<Views>();
  SessionBrowserView browser_;
};

}  // namespace ssa::gui
