// WorkbenchUi: the GUI core. Builds one ImGui frame of the workbench (menu,
// run header, legend, views, transport, status line) from a Worker. It knows
// nothing of GLFW or of how the frame reaches the screen: the window loop and
// the offscreen screenshot path both call frame() between NewFrame and Render.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/model/worker.h"
#include "app/gui/ui_state.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

// "all", "mask", "strip", "timeline", "hierarchy", "training", "compare", "bookmarks",
// "evaluation", "demos".
std::optional<Panel> parse_panel(const std::string& name);
const char* panel_names();  // for help texts

class WorkbenchUi {
 public:
  explicit WorkbenchUi(std::unique_ptr<Worker> worker);
  ~WorkbenchUi();

  // Builds the whole frame; dt is the time since the previous one (playback).
  void frame(float dt);
  void set_panel(Panel panel) { state_.panel = panel; }
  // Shows a run: its first step, its answer's chunk selected.
  void select_run(RunId run);
  // Zooms the mask view to `pixels_per_position` around stream position `pos`.
  void focus_mask(int64_t pos, float pixels_per_position) {
    views_.mask.focus(pos, pixels_per_position);
  }
  void fit_mask() { views_.mask.fit(); }
  // Opens another recording beside the open ones (the dialog, recent files).
  void open(const std::string& path);
  // Opens a demo of the first screen (beside what is open) and shows its
  // first decode run once it has loaded.
  void open_demo(const std::string& path);
  // Opens an evaluation results folder on the Evaluation page; returns the
  // one-line error ("" when it opened), which the status line shows too.
  std::string open_results(const std::string& folder);
  // Live mode: the Worker re-reads the files about twice a second.
  void set_follow(bool follow);
  // Live mode: the steps the recorder was asked for (progress and ETA).
  void set_expected_steps(int64_t steps) { expected_steps_ = steps; }
  // Blocks until the Worker has loaded and answered everything asked so far.
  void wait_idle();

  // PNG export of a view: after rendering, the frame's owner reads the
  // rectangle back and writes it (the GUI core has no GL of its own).
  struct Capture {
    int x = 0, y = 0, width = 0, height = 0;
    std::string path;
  };
  std::optional<Capture> take_capture();
  void capture_finished(const std::string& path, const std::string& error);

  // Milliseconds each part of the last frame took to build (for `bench gui`).
  struct PartTime {
    const char* name;
    double ms;
  };
  const std::vector<PartTime>& last_frame_parts() const { return parts_; }

  UiState& state() { return state_; }
  Worker& worker() { return *worker_; }
  bool quit_requested() const { return quit_; }

 private:
  // Frame parts, in order.
  void follow_live();
  void open_example(const EvaluationView::ExampleRequest& example);
  // Opens `path` (a file already open is reused) and shows its run `run`
  // (-1: the file's default run) at `step` (-1: its first) once it has loaded.
  void open_and_show(const std::string& path, int64_t run, int64_t step, std::string opening,
                     std::string shown);
  void follow_pending_open();
  void draw_start(ViewContext& ctx);
  void draw_plain_status();
  bool keep_state_valid();
  ViewContext make_context();
  void apply_keys(ViewContext& ctx);
  void draw_menu(ViewContext& ctx);
  void draw_menus(ViewContext& ctx);  // File and View
  void draw_waiting();
  void draw_pages(ViewContext& ctx);
  void draw_main(ViewContext& ctx, ImVec2 size);
  void draw_grid(ViewContext& ctx, ImVec2 size);
  void draw_panel(ViewContext& ctx, Panel panel, ImVec2 size);
  void draw_panel_body(ViewContext& ctx, Panel panel);
  View* view_of(Panel panel);  // null for the grid
  void draw_status(ViewContext& ctx);
  void draw_live_state(ViewContext& ctx);
  void draw_dialogs(ViewContext& ctx);
  void export_csv(ViewContext& ctx, Panel panel);
  std::string export_path(const ViewContext& ctx, Panel panel, const char* extension) const;
  void go_to_hit(ViewContext& ctx, const SearchHit& hit);
  template <class Draw>
  void timed(const char* name, Draw&& draw);

  std::unique_ptr<Worker> worker_;
  UiState state_;
  bool quit_ = false;
  bool follow_ = false;
  std::vector<PartTime> parts_;
  std::optional<Capture> capture_;
  Panel capture_panel_ = Panel::kAll;
  bool capture_requested_ = false;
  // Live: the run's last step when the user was there (followed as it grows).
  RunId followed_run_;
  int64_t followed_last_ = -1;
  int64_t expected_steps_ = -1;
  // A recording being opened (a demo, a failed example, File > Open): what to
  // show once it has loaded, and the status line then.
  struct PendingOpen {
    int32_t file = -1;
    int64_t run = -1, step = -1;  // as open_and_show's
    std::string shown;
    bool show_run = true;  // false for File > Open: only the status line follows
  };
  std::optional<PendingOpen> pending_open_;
  // The first screen's demos (read once, when it is first shown).
  std::vector<Demo> demos_;
  bool demos_loaded_ = false;
  // Live progress: when the newest step count changed (for an ETA).
  size_t live_steps_ = 0;
  std::chrono::steady_clock::time_point live_first_{}, live_last_{};
  size_t live_first_steps_ = 0;
  struct Views {
    MaskView mask;
    TokenStripView strip;
    ScoreTimelineView timeline;
    HierarchyView hierarchy;
    TrainingView training;
    TransportView transport;
    CompareView compare;
    BookmarksView bookmarks;
    EvaluationView evaluation;
    RunHeaderView header;
    SearchBox search;
    OpenDialog open_dialog;
    DemoPage demos;
  } views_;
};

}  // namespace ssa::gui
