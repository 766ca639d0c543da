// The workbench's views, one class per file (views/<name>_view.cpp).
//
// Every view draws from the Worker's snapshots and the shared UiState handed
// in a ViewContext each frame; none opens files or talks to a Reader. Heavy
// pixels (mask raster, timeline) come from the Worker's threads; views only
// upload textures. Each view file opens with an index of its sections, one
// function each (as imgui_demo.cpp does). A view draws its panel's body; the
// panel frame (title, maximise, export buttons) is the workbench's.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "app/gui/core/key_queue.h"
#include "app/gui/core/texture.h"
#include "app/gui/demo_list.h"
#include "app/gui/model/eval_results.h"
#include "app/gui/model/layout_search.h"
#include "app/gui/model/worker.h"
#include "app/gui/ui_state.h"
#include "app/gui/views/draw_helpers.h"

namespace ssa::gui {

// What a view may read this frame.
struct ViewContext {
  ViewContext(Worker& w, UiState& s, KeyQueue& k) : worker(w), state(s), keys(k) {}
  Worker& worker;
  UiState& state;
  KeyQueue& keys;
  std::shared_ptr<const RunData> run;          // the current run (set while views draw)
  const LayoutIndex* layout = nullptr;         // run->layout, null when the run has none
  std::shared_ptr<const HeadStep> step;        // current (step, layer, head), maybe stale
  bool step_exact = false;                     // `step` is for the current (step, layer, head)
  std::shared_ptr<const StepUnfolds> unfolds;  // current step, every layer
  std::shared_ptr<const RunData> other;        // the compare view's second run, may be null
  double coverage_top = 1.0;       // the one coverage scale of every view (a zoom below 1)
  bool coverage_measured = false;  // some open run measured the full-attention mass

  bool dense() const { return run && run->is_dense(state.layer); }
  // Stream position of the query at the current step (the last token fed).
  int64_t query_position() const;
  // "" when the run has steps; else why not ("prefilling: no decode step yet").
  std::string no_steps_note() const;
  void go_to_step(int64_t step) {
    state.step = step;
    state.playing = false;
  }
};

// What every panel's view offers the workbench: its body, a subtitle for the
// panel's title row, and its data as CSV (the export of the panel).
class View {
 public:
  virtual ~View() = default;
  virtual void draw(ViewContext& ctx) = 0;
  virtual std::string subtitle(const ViewContext& ctx) const = 0;
  virtual void write_csv(const ViewContext& ctx, std::ostream& out) const = 0;
};

// A query's training-mask row as screen bands: what a dense layer attends to.
// Calls band(first, last_exclusive, colour) for the keys visible to `query`.
void training_row_bands(const LayoutIndex& index, int64_t query, int64_t first, int64_t last,
                        int64_t max_bands,
                        const std::function<void(int64_t, int64_t, ImU32)>& band);

// 1. The gist training mask as a zoomable heatmap with position axes, and
//    the current step's selective-attention row beneath it.
class MaskView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;
  void fit() { fit_requested_ = true; }
  // Zooms to `pixels_per_position` centred on the diagonal at stream position `pos`.
  void focus(int64_t pos, float pixels_per_position) {
    focus_pos_ = pos;
    focus_zoom_ = pixels_per_position;
  }

 private:
  void update_view(ViewContext& ctx, ImVec2 size);
  void handle_input(ViewContext& ctx, ImVec2 origin, ImVec2 size);
  void draw_picture(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_cells(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_overlays(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_axes(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_tooltip(ViewContext& ctx, ImVec2 origin);
  void draw_query_row(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, float width);

  float zoom_ = 1.0f;               // screen pixels per stream position
  double view_x_ = 0, view_y_ = 0;  // stream coordinates at the canvas' top-left
  bool fit_requested_ = true;
  bool user_moved_ = false;  // zoomed or panned since the last fit (a resize then keeps the view)
  ImVec2 fitted_size_{0, 0};
  int64_t focus_pos_ = -1;
  float focus_zoom_ = 0;
  const void* fitted_layout_ = nullptr;  // a live refresh keeps the user's zoom
  int32_t selection_before_click_ = -1;  // a double-click (fit) restores it
  bool swallow_release_ = false;         // the release that ends a double-click selects nothing
  Texture block_texture_, raster_texture_;
  std::shared_ptr<const BlockImage> shown_blocks_;
  std::shared_ptr<const MaskRaster> shown_raster_;
  std::shared_ptr<const MaskPalette> palette_;
};

// 2. The prompt as wrapped text (chunk boundaries, gist markers, score tints),
//    then what the run generated up to the current step, never beyond it.
class TokenStripView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;
  void scroll_to(int64_t position) { scroll_to_ = position, scroll_frames_ = 3; }

 private:
  void lay_out(const LayoutIndex& index, int64_t end, float width);
  std::vector<float> chunk_tints(const ViewContext& ctx) const;
  void draw_line(ViewContext& ctx, ImDrawList* dl, int line, const std::vector<float>& tints,
                 int64_t* hovered);
  void draw_generated(ViewContext& ctx, float width);
  void draw_tooltip(ViewContext& ctx, int64_t hovered, const std::vector<float>& tints);

  int32_t last_selected_ = -1;
  int64_t scroll_to_ = -1;
  int scroll_frames_ = 0;  // ImGui clamps a scroll to last frame's content: retry a few frames
  const void* laid_layout_ = nullptr;
  float laid_width_ = 0;
  int64_t laid_end_ = 0;
  std::vector<int64_t> line_begin_;       // first stream position of every line
  std::vector<float> token_x_, token_w_;  // per position, within its line
};

// 3. Steps x gists heatmap of scores, picks marked, with step and chunk axes
//    and a colour bar; the selected chunk's score over the steps.
class ScoreTimelineView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;

 private:
  void draw_level_choice(ViewContext& ctx);
  void handle_zoom(ViewContext& ctx, ImVec2 origin, ImVec2 size);
  void draw_image(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_marks(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_axes(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_scale(ViewContext& ctx, ImDrawList* dl, ImVec2 min, ImVec2 max);
  void draw_tooltip(ViewContext& ctx, ImVec2 origin, ImVec2 size);
  void draw_series(ViewContext& ctx, ImVec2 min, ImVec2 max);

  // Zoom window (indices into run->steps, gists of the level); count 0: all.
  size_t first_step_ = 0, step_count_ = 0;
  int64_t first_gist_ = 0, gist_count_ = 0;
  // What a click changed, so that the double-click it starts (reset zoom) undoes it.
  int32_t selection_before_click_ = -1;
  int64_t step_before_click_ = -1;
  std::shared_ptr<const TimelineImage> image_;  // the image in texture_
  Texture texture_;
  std::shared_ptr<const TimelinePalette> palette_;
};

// 4. The levels as an icicle for the current step: candidates scored and the
//    path chosen per level, then the unfolded chunks.
class HierarchyView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;
};

// 5. Training curves (smoothed, the raw curve faint behind), or a decode
//    run's costs per step with the prefill apart.
class TrainingView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;

 private:
  void draw_training(ViewContext& ctx);
  void draw_decode_costs(ViewContext& ctx);
  float smoothing_ = 0.6f;
};

// 6. Every run of every open recording in one table (generated text and
//    whether it is right), then the current run against a second one, on the
//    raw-token axis that runs with different layouts share.
class CompareView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;

 private:
  void draw_runs_table(ViewContext& ctx);
  void draw_second_run_choice(ViewContext& ctx);
  void draw_raw_rows(ViewContext& ctx);
  void draw_plots(ViewContext& ctx);
  void draw_generated(ViewContext& ctx);
  float body_height_ = 0;  // the page's height this frame: what its parts share
};

// 7. Step scrubber, play/pause, speed, step keys, go to a step, step lane.
class TransportView {
 public:
  void draw(ViewContext& ctx);
  // Advances playback and applies the step keys; call once per frame.
  void update(ViewContext& ctx, float dt);
  // The panel height the transport needs for `run` (taller with a step lane).
  static float height(const RunData* run);
  static bool has_lane(const RunData* run);

 private:
  void draw_buttons(ViewContext& ctx);
  void draw_scrubber(ViewContext& ctx);
  void draw_go_box(ViewContext& ctx);
  void draw_lane(ViewContext& ctx);
  char go_text_[24] = "";
  bool go_editing_ = false;
  ImVec2 scrubber_min_, scrubber_max_;
};

// Bookmarks and notes of the current run (stored in its recording).
class BookmarksView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;
  // A bookmark at the current step with `name` ("" for a made-up one) unless
  // the same place is bookmarked already; the status line says which.
  static void add(ViewContext& ctx, const std::string& name, const std::string& note);

 private:
  char name_[96] = "";
  char note_[256] = "";
};

// The run, its task and whether it is right; the current step in plain words.
class RunHeaderView {
 public:
  void draw(ViewContext& ctx);
  static float height();
};

// The search box (text, #position, chunk N) and its matches.
class SearchBox {
 public:
  // Draws the box in the menu bar; returns the hit to go to, if any.
  const SearchHit* draw(ViewContext& ctx, float width);

 private:
  char query_[128] = "";
  std::string searched_;
  const void* searched_layout_ = nullptr;
  SearchResult result_;
  size_t current_ = 0;
};

// The open-recording dialog: .ssarec files of a folder, recent files.
class OpenDialog {
 public:
  // Draws the dialog while *open; returns a path when the user picks one.
  // Escape closes it.
  std::string draw(bool* open, KeyQueue& keys);
  static void remember(const std::string& path);  // adds to the recent list
  static std::vector<std::string> recent();

 private:
  char folder_[512] = "";
  bool initialised_ = false;
};

// The first screen: the demos (demo_list.h) as cards, each its name, its file,
// one line on what it is (model, task, context, layout) and its runs; a click
// opens one. A demo that cannot be opened is shown disabled with the reason.
class DemoPage {
 public:
  // Returns the path of the demo picked this frame ("" none); `note` (a
  // demo being opened, why it failed) is shown under the cards.
  std::string draw(const std::vector<Demo>& demos, const std::string& note);
};

// What the chart of an evaluation draws, made once from its results (they
// must outlive it: the series point into them), drawn every frame.
struct EvalChart {
  struct Series {
    const EvalConfig* config = nullptr;  // its first row: method, levels, k
    std::vector<double> x, y;            // log2(context), exact
    std::vector<const EvalResult*> rows;
  };
  struct LegendEntry {
    std::string name;
    ImU32 colour;
    int shape;  // the marker of its k
  };
  struct Plot {  // one task
    std::string task;
    std::vector<Series> series;                         // in legend order
    std::vector<int> shapes;                            // each series' marker
    std::vector<int64_t> contexts;                      // ascending, distinct
    std::vector<std::pair<double, std::string>> ticks;  // log2(context), label
  };
  std::vector<Plot> plots;
  std::vector<LegendEntry> legend;
  std::string empty_note;  // what an empty chart says
};
EvalChart make_eval_chart(const EvalResults& results);

// 8. An evaluation results folder (`ssa-workbench eval`): the chart, the
//    table of results, the examples; a click on a failed example with a
//    recording opens it at its run and answer step.
class EvaluationView : public View {
 public:
  void draw(ViewContext& ctx) override;
  std::string subtitle(const ViewContext& ctx) const override;
  void write_csv(const ViewContext& ctx, std::ostream& out) const override;
  void set_results(std::shared_ptr<const EvalResults> results);
  const EvalResults* results() const { return results_.get(); }
  // What the user asked for this frame: a folder to open, an example's recording.
  std::string take_folder_request() { return std::exchange(folder_request_, std::string()); }
  struct ExampleRequest {
    std::string recording;  // a path the Worker opens
    int64_t run = -1, step = -1;
  };
  std::optional<ExampleRequest> take_example_request() { return std::exchange(example_, {}); }
  void focus_folder_box() { focus_box_ = true; }
  // The page's legend: the methods of the folder shown, in their colours.
  const std::vector<theme::Meaning>& legend() const { return legend_; }

 private:
  void draw_folder_box();
  void draw_results_table(float height);
  void draw_examples_table();
  std::shared_ptr<const EvalResults> results_;
  std::vector<theme::Meaning> legend_;  // of results_, made when it is set (drawn every frame)
  EvalChart chart_;                     // of results_, likewise
  char folder_[512] = "";
  bool focus_box_ = false;
  bool failed_only_ = true;
  std::string folder_request_;
  std::optional<ExampleRequest> example_;
};
// The chart (exact match against context, one plot per task, one colour per
// method, a marker per k, axes and a legend) in [min, max]; `tooltips`: a
// point under the mouse shows its figures. Drawn by the Evaluation panel
// and, offscreen, by `ssa-workbench chart`.
void draw_eval_chart(ImDrawList* dl, ImVec2 min, ImVec2 max, const EvalChart& chart, bool tooltips);

// Keys, mouse and the legend (F1 or ?); Escape closes it.
void draw_help(bool* open, KeyQueue& keys, int levels);

// The palettes the views hand the Worker's painters (one colour per meaning).
std::shared_ptr<const MaskPalette> mask_palette();
std::shared_ptr<const TimelinePalette> timeline_palette();

}  // namespace ssa::gui
