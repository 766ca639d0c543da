// The workbench's panels, one class per file (views/<name>_view.cpp).
//
// Every view draws from the SessionModel and the shared UiState handed in a
// ViewContext each frame; none opens files or talks to the Reader. Views that
// need heavy pixels (mask raster, timeline) get them from background workers
// and only upload textures on the frame path.
#pragma once

#include <imgui.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/core/texture.h"
#include "app/gui/model/async_slot.h"
#include "app/gui/model/mask_raster.h"
#include "app/gui/model/session_model.h"
#include "app/gui/ui_state.h"

namespace ssa::gui {

// What a view may read this frame.
struct ViewContext {
  ViewContext(SessionModel& m, UiState& s) : model(m), state(s) {}
  SessionModel& model;
  UiState& state;
  const RunData* run = nullptr;                // the current run (never null while drawing)
  std::shared_ptr<const HeadStep> step;        // current (step, layer, head), maybe stale
  std::shared_ptr<const StepUnfolds> unfolds;  // current step, every layer
  int64_t first_step = 0, last_step = -1;      // the transport's range
};

// 1. The gist training mask as a zoomable heatmap, with the current step's
//    selective-attention row beneath it.
class MaskView {
 public:
  MaskView();
  ~MaskView();
  void draw(ViewContext& ctx);
  void fit() { fit_requested_ = true; }
  // Zooms to `pixels_per_position` centred on the diagonal at stream position `pos`.
  void focus(int64_t pos, float pixels_per_position) {
    focus_pos_ = pos;
    focus_zoom_ = pixels_per_position;
  }
  void wait_idle() { rasterizer_->wait_idle(); }  // screenshots: let the raster finish

 private:
  void draw_cells(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_overlays(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size);
  void draw_selection_row(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, float width);
  void handle_input(ViewContext& ctx, ImVec2 origin, ImVec2 size);
  void ensure_block_texture(const RunData& run);

  float zoom_ = 1.0f;               // screen pixels per stream position
  double view_x_ = 0, view_y_ = 0;  // stream coordinates at the canvas' top-left
  bool fit_requested_ = true;
  int64_t focus_pos_ = -1;
  float focus_zoom_ = 0;
  int64_t fitted_run_ = -1;  // run id: a live refresh keeps the user's zoom
  const RunData* block_run_ = nullptr;
  Texture block_texture_;  // one texel per (query block, key block)
  Texture raster_texture_;
  std::shared_ptr<const MaskRaster> shown_raster_;
  std::unique_ptr<AsyncSlot<MaskRasterKey, MaskRaster>> rasterizer_;
};

// 2. The context as wrapped text with chunk boundaries, gist markers, score tints.
class TokenStripView {
 public:
  void draw(ViewContext& ctx);

 private:
  void lay_out(const RunData& run, float width);  // wraps tokens into lines (on resize only)

  int32_t last_scrolled_chunk_ = -1;
  int scroll_frames_ = 0;  // frames left to keep scrolling to the selected chunk
  const RunData* laid_run_ = nullptr;
  float laid_width_ = 0;
  std::vector<int64_t> line_begin_;       // first stream position of every line
  std::vector<float> token_x_, token_w_;  // per position, within its line
};

// 3. Steps x gists heatmap of scores, picks marked; the selected chunk's score over steps.
class ScoreTimelineView {
 public:
  void draw(ViewContext& ctx);

 private:
  Texture texture_;
  std::shared_ptr<const TimelineImage> image_;  // the image in texture_
};

// 4. The levels as an icicle: candidates scored and the path chosen per level.
class HierarchyView {
 public:
  void draw(ViewContext& ctx);
};

// 5. Loss, learning rate, tokens/s (training runs) and per-step decode costs.
class TrainingView {
 public:
  void draw(ViewContext& ctx);
};

// 6. Step scrubber, play/pause, speed, step keys, jump, bookmarks.
class TransportView {
 public:
  void draw(ViewContext& ctx);
  // Advances playback and applies keyboard shortcuts; call once per frame.
  void update(ViewContext& ctx, float dt);
  // The panel height the transport needs for `run` (taller with a step lane).
  static float height(const RunData* run);
  // Whether the run has a step lane: coverage measured or the answer flag known.
  static bool has_lane(const RunData* run);
  static float lane_height(const RunData* run);

 private:
  char bookmark_name_[96] = "";
  char bookmark_note_[256] = "";
  int64_t jump_to_ = 0;
};

// 7. Two runs side by side, steps aligned, differing choices highlighted.
class CompareView {
 public:
  void draw(ViewContext& ctx);
};

// Bookmarks and notes of the current run (stored in the recording).
class BookmarksView {
 public:
  void draw(ViewContext& ctx);

 private:
  char name_[96] = "";
  char note_[256] = "";
};

// Open-file dialog drawn with ImGui: .ssarec files of a folder, recent files.
class SessionBrowserView {
 public:
  // Draws the browser as a popup while open; returns a path when the user picks one.
  std::string draw(bool* open);
  static void remember(const std::string& path);  // adds to the recent list
  static std::vector<std::string> recent();

 private:
  char folder_[512] = "";
  bool initialised_ = false;
};

// Small drawing helpers shared by the views.
namespace draw {
// A panel title line in the title font with an optional dim subtitle.
void title(const char* text, const std::string& subtitle = "");
// Centered dim text inside a rectangle ("loading...", "no data").
void centered_note(ImDrawList* dl, ImVec2 min, ImVec2 max, const char* text);
// A legend swatch followed by its label, on the current line.
void swatch(ImU32 colour, const char* label);
// Line plot of ys over xs into [min, max] (auto y range); returns the y range used.
struct PlotRange {
  double x0, x1, y0, y1;                 // data range shown (y in log10 when log_y)
  ImVec2 area_min, area_max;             // the plotting area inside the frame
  ImVec2 at(double x, double y) const {  // screen position of a data point (linear y)
    return ImVec2(
        area_min.x + static_cast<float>((x - x0) / (x1 - x0)) * (area_max.x - area_min.x),
        area_max.y - static_cast<float>((y - y0) / (y1 - y0)) * (area_max.y - area_min.y));
  }
  // A vertical marker at x (the current step), when inside the range.
  void marker(ImDrawList* dl, double x, ImU32 colour) const;
};
struct PlotStyle {
  bool log_y = false;
  double y_min = NAN, y_max = NAN;   // a fixed y range (both set), else the data's
  bool dots = false;                 // a dot on every point (few points)
  const char* empty_note = nullptr;  // shown when there are no points
};
PlotRange line_plot(ImDrawList* dl, ImVec2 min, ImVec2 max, const std::vector<double>& xs,
                    const std::vector<double>& ys, ImU32 colour, const char* label,
                    const PlotStyle& style = {});
// The top of a 0-based axis for shares (coverage): 1, or the smallest of
// 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5 above the largest value with some
// headroom, so that small shares are not flattened against zero.
double share_axis_max(double largest);
// Index of the point whose x is nearest the mouse when it is over the plot area, else -1.
int hovered_point(const PlotRange& r, const std::vector<double>& xs);
// Keeps the next item on this line when `width` pixels still fit, else starts a new line.
void same_line_if_fits(float width);

// A step lane: the decode steps [first, last] along one axis of [min, max]
// (x, or y when vertical), each step (or pixel bin of steps) showing the
// full-attention mass its unfolded chunks covered as a bar (0..coverage_top
// across the other axis, in the coverage colour) and a mark in the answer colour where
// the answer chunk was unfolded (dim where known and not). Hovering shows the
// exact values; returns the step clicked, -1 when none.
struct StepLane {
  const RunData* run = nullptr;
  int64_t first = 0, last = -1;
  int64_t current = -1;  // outlined, -1 none
  bool vertical = false;
  const char* empty_note = nullptr;  // shown when no step has either value
  bool coverage_bars = true;  // false: the answer marks take the whole lane (nothing measured)
  double coverage_top = 1.0;  // the coverage a full bar stands for (share_axis_max)
};
int64_t step_lane(ImDrawList* dl, ImVec2 min, ImVec2 max, const StepLane& lane);
// The tooltip lines of one step of a run (coverage, answer, keys, token).
void step_tooltip(const RunData& run, int64_t step);
}  // namespace draw

}  // namespace ssa::gui
