// Score timeline: decode steps (rows) x gists of one level (columns) for the
// chosen layer and head, with a step axis, a chunk axis and a colour bar that
// says how the colours are normalised (per step: 0 = that step's lowest
// score, 1 = its highest). Picks are painted in the chosen colour, the
// answer's chunk is a pink band, the selected chunk and the current step are
// the cursor. At the right, per step, whether the answer's chunk was
// unfolded and the mass covered; below, the selected chunk's score over the
// steps. The wheel zooms the steps (Shift+wheel the chunks) around the
// pointer; a double-click shows everything again.
//
// [SECTION] geometry and palette
// [SECTION] draw: the panel body
// [SECTION] level choice
// [SECTION] zoom: wheel, double-click, click
// [SECTION] image: request and upload
// [SECTION] marks: answer, selection, current step
// [SECTION] axes and colour bar
// [SECTION] tooltip: a cell's score and pick
// [SECTION] series: the selected chunk over the steps
// [SECTION] CSV
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

// --- [SECTION] geometry and palette ------------------------------------------------------

constexpr float kScaleWidth = 44.0f;  // colour bar and its labels

struct Window {
  size_t first = 0, count = 0;             // steps (indices into run.steps)
  int64_t gist_first = 0, gist_count = 0;  // gists of the level
};

Window clamp_window(const RunData& run, int64_t gists, size_t first, size_t count, int64_t g0,
                    int64_t gn) {
  Window w;
  const size_t steps = run.steps.size();
  w.count = count == 0 ? steps : std::min(count, steps);
  w.first = std::min(first, steps - std::min(steps, w.count));
  w.gist_count = gn <= 0 ? gists : std::min(gn, gists);
  w.gist_first = std::clamp<int64_t>(g0, 0, std::max<int64_t>(0, gists - w.gist_count));
  return w;
}

float gutter_width(const RunData& run) {
  if (!TransportView::has_lane(&run)) return 0;
  return std::round(ImGui::GetFontSize() * (run.quality.has_coverage() ? 3.0f : 0.7f)) + 6;
}

}  // namespace

std::shared_ptr<const TimelinePalette> timeline_palette() {
  static const auto palette = [] {
    auto p = std::make_shared<TimelinePalette>();
    for (int i = 0; i < 256; ++i) p->ramp[static_cast<size_t>(i)] = theme::score_colour(i / 255.0f);
    p->picked = theme::chosen();
    p->unscored = theme::masked();
    p->unrecorded = theme::outside();
    return p;
  }();
  return palette;
}

// --- [SECTION] draw: the panel body ------------------------------------------------------

std::string ScoreTimelineView::subtitle(const ViewContext& ctx) const {
  std::string s = "layer " + std::to_string(ctx.state.layer) + " · " +
                  (ctx.state.head < 0 ? std::string("all heads (max)")
                                      : "head " + std::to_string(ctx.state.head));
  if (ctx.dense()) s += " (dense: nothing scored)";
  if (step_count_ > 0 || gist_count_ > 0) s += " · zoomed (double-click: all)";
  return s;
}

void ScoreTimelineView::draw(ViewContext& ctx) {
  if (!palette_) palette_ = timeline_palette();
  const RunData& run = *ctx.run;
  draw_level_choice(ctx);
  const float font = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 body = ImGui::GetCursorScreenPos();
  const float plot_h = std::clamp(avail.y * 0.3f, 110.0f, 220.0f);
  const float left =
      draw::left_axis_width(run.steps.empty() ? 0.0 : static_cast<double>(run.steps.back())) + 4;
  const float bottom = font * 2 + 4;
  const float right = kScaleWidth + gutter_width(run);
  const ImVec2 origin(body.x + left, body.y + 4);
  const ImVec2 size(
      std::max(40.0f, avail.x - left - right),
      std::max(40.0f, avail.y - plot_h - bottom - ImGui::GetStyle().ItemSpacing.y - 4));
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("timeline_canvas", size);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  dl->AddRectFilled(origin, end, theme::outside());
  if (ctx.dense()) {
    draw::centered_note(dl, origin, end,
                        "layer " + std::to_string(ctx.state.layer) +
                            " is dense: it attends to its training-mask row, nothing is scored");
  } else {
    handle_zoom(ctx, origin, size);
    draw_image(ctx, dl, origin, size);
    draw_marks(ctx, dl, origin, size);
    draw_axes(ctx, dl, origin, size);
    draw_scale(ctx, dl, ImVec2(end.x + 6, origin.y), ImVec2(end.x + right, end.y));
    draw_tooltip(ctx, origin, size);
  }
  ImGui::SetCursorScreenPos(ImVec2(body.x, end.y + bottom));
  const ImVec2 plot_min = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(avail.x, plot_h));
  draw_series(ctx, plot_min, ImVec2(plot_min.x + avail.x, plot_min.y + plot_h));
}

// --- [SECTION] level choice ------------------------------------------------------------

void ScoreTimelineView::draw_level_choice(ViewContext& ctx) {
  UiState& s = ctx.state;
  const LayoutIndex& index = *ctx.layout;
  s.timeline_level = std::clamp(s.timeline_level, 0, index.top_level());
  if (index.num_levels() > 1) {
    draw::dim_text("level:");
    for (int level = 0; level < index.num_levels(); ++level) {
      ImGui::SameLine();
      const std::string label = level == 0 ? "gists (L0)" : "meta-gists L" + std::to_string(level);
      if (ImGui::RadioButton(label.c_str(), s.timeline_level == level)) {
        s.timeline_level = level;
        first_gist_ = gist_count_ = 0;
      }
    }
    ImGui::SameLine();
  }
  // The normalisation in as many words as fit.
  const float room = ImGui::GetContentRegionAvail().x;
  for (const char* words :
       {"colour: each step's scores, normalised to that step (0 lowest, 1 highest)",
        "colour: scores normalised per step (0 lowest, 1 highest)",
        "scores per step: 0 lowest, 1 highest"})
    if (ImGui::CalcTextSize(words).x <= room || words[0] == 's') {
      draw::dim_text(words);
      break;
    }
}

// --- [SECTION] zoom: wheel, double-click, click ----------------------------------------------

void ScoreTimelineView::handle_zoom(ViewContext& ctx, ImVec2 origin, ImVec2 size) {
  if (!ImGui::IsItemHovered()) return;
  const RunData& run = *ctx.run;
  const int64_t gists = static_cast<int64_t>(ctx.layout->spans(ctx.state.timeline_level).size());
  const Window w = clamp_window(run, gists, first_step_, step_count_, first_gist_, gist_count_);
  ImGuiIO& io = ImGui::GetIO();
  const ImVec2 m = io.MousePos;
  if (io.MouseWheel != 0.0f && w.count > 0) {
    const double factor = std::pow(0.8, io.MouseWheel);
    if (io.KeyShift) {
      const double at = w.gist_first + (m.x - origin.x) / size.x * w.gist_count;
      const int64_t n =
          std::clamp<int64_t>(static_cast<int64_t>(std::llround(w.gist_count * factor)), 4, gists);
      first_gist_ = std::clamp<int64_t>(
          static_cast<int64_t>(at - (at - w.gist_first) * n / std::max<int64_t>(1, w.gist_count)),
          0, gists - n);
      gist_count_ = n >= gists ? 0 : n;
    } else {
      const double at = w.first + (m.y - origin.y) / size.y * w.count;
      const size_t n = std::clamp<size_t>(static_cast<size_t>(std::llround(w.count * factor)), 2,
                                          run.steps.size());
      const double first = at - (at - w.first) * n / std::max<size_t>(1, w.count);
      first_step_ = static_cast<size_t>(
          std::clamp<double>(first, 0, static_cast<double>(run.steps.size() - n)));
      step_count_ = n >= run.steps.size() ? 0 : n;
    }
  }
  if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    first_step_ = step_count_ = 0;
    first_gist_ = gist_count_ = 0;
    if (step_before_click_ >= 0) {
      ctx.state.step = step_before_click_;
      ctx.state.selected_chunk = selection_before_click_;
      step_before_click_ = -1;
    }
  }
}

// --- [SECTION] image: request and upload -------------------------------------------------------

void ScoreTimelineView::draw_image(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  const RunData& run = *ctx.run;
  const UiState& s = ctx.state;
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  const int64_t gists = static_cast<int64_t>(ctx.layout->spans(s.timeline_level).size());
  if (run.steps.empty() || gists == 0 || run.detail_steps.count == 0) {
    draw::centered_note(
        dl, origin, end,
        ctx.no_steps_note().empty() ? "no scores recorded for this run" : ctx.no_steps_note());
    return;
  }
  const Window w = clamp_window(run, gists, first_step_, step_count_, first_gist_, gist_count_);
  TimelineRequest request;
  request.run = ctx.run;
  request.layer = s.layer;
  request.head = s.head;
  request.first_index = w.first;
  request.step_count = w.count;
  request.columns = timeline_columns(s.timeline_level, gists, w.gist_first, w.gist_count,
                                     static_cast<int>(std::min(size.x, 2048.0f)));
  request.max_rows = static_cast<int>(std::clamp(size.y, 1.0f, 2048.0f));
  request.palette = palette_;
  auto image = ctx.worker.timeline(request);
  // A new image arrives a few times a second while the worker aggregates.
  if (image && image != image_ && image->width > 0 && image->height > 0) {
    texture_.upload(image->width, image->height, image->rgba);
    image_ = image;
  }
  const bool same_run = image_ && image_->request.run.id == run.id;
  if (!same_run || !texture_.valid()) {
    draw::centered_note(dl, origin, end, "aggregating...");
    return;
  }
  dl->AddImage(texture_.id(), origin, end);
  if (image_->rows_done < image_->height) {
    char note[64];
    std::snprintf(note, sizeof note, "aggregating %d / %d rows", image_->rows_done, image_->height);
    const ImVec2 t = ImGui::CalcTextSize(note);
    dl->AddRectFilled(ImVec2(end.x - t.x - 16, end.y - t.y - 8), end,
                      theme::with_alpha(theme::outside(), 0.8f));
    dl->AddText(ImVec2(end.x - t.x - 8, end.y - t.y - 4), theme::text_dim(), note);
  }
}

// --- [SECTION] marks: answer, selection, current step ------------------------------------------

void ScoreTimelineView::draw_marks(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  if (!image_ || image_->request.run.id != ctx.run->id || image_->width == 0) return;
  const LayoutIndex& index = *ctx.layout;
  const UiState& s = ctx.state;
  const TimelineImage& im = *image_;
  const TimelineColumns& c = im.request.columns;
  if (c.level != s.timeline_level) return;
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  const float col_w = size.x / im.width;
  // The column (or binned column) of a chunk's gist at the shown level.
  auto column_of = [&](int32_t chunk, float* x0, float* x1) {
    if (!index.valid_chunk(chunk)) return false;
    const int64_t pos = index.spans(0)[chunk].gist;
    const int32_t id = c.level == 0 ? chunk : index.span_of(pos, c.level);
    const int64_t g = id - c.first;
    if (id < 0 || g < 0 || g >= c.count) return false;
    *x0 = origin.x + static_cast<float>(g / c.per_column) * col_w;
    *x1 = *x0 + col_w;
    return true;
  };
  dl->PushClipRect(ImVec2(origin.x, origin.y - 8), ImVec2(end.x, end.y + 8), true);
  for (int32_t chunk : ctx.run->facts.answer_chunks) {
    float x0, x1;
    if (!column_of(chunk, &x0, &x1)) continue;
    const float cx = (x0 + x1) / 2, half = std::max(2.5f, (x1 - x0) / 2);
    // A band at least 5 px wide, with markers above and below the picture.
    dl->AddRectFilled(ImVec2(cx - half, origin.y), ImVec2(cx + half, end.y),
                      theme::with_alpha(theme::answer(), 0.25f));
    dl->AddRect(ImVec2(cx - half, origin.y), ImVec2(cx + half, end.y), theme::answer());
    dl->AddTriangleFilled(ImVec2(cx - 5, origin.y - 7), ImVec2(cx + 5, origin.y - 7),
                          ImVec2(cx, origin.y), theme::answer());
  }
  float x0, x1;
  if (column_of(s.selected_chunk, &x0, &x1))
    dl->AddRect(ImVec2(x0 - 1, origin.y), ImVec2(std::max(x1, x0 + 2) + 1, end.y), theme::cursor());
  // The current step's row.
  const auto it = std::lower_bound(ctx.run->steps.begin(), ctx.run->steps.end(), s.step);
  if (it != ctx.run->steps.end() && *it == s.step) {
    const size_t i = static_cast<size_t>(it - ctx.run->steps.begin());
    const TimelineRequest& r = im.request;
    if (i >= r.first_index && i < r.first_index + r.step_count) {
      const float row_h = size.y / im.height;
      const float y = origin.y + ((i - r.first_index) / im.steps_per_row + 0.5f) * row_h;
      dl->AddLine(ImVec2(origin.x, y), ImVec2(end.x, y), theme::cursor(), 1.5f);
    }
  }
  dl->PopClipRect();
}

// --- [SECTION] axes and colour bar ---------------------------------------------------------

void ScoreTimelineView::draw_axes(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  if (!image_ || image_->request.run.id != ctx.run->id) return;
  const TimelineImage& im = *image_;
  const auto& steps = ctx.run->steps;
  const TimelineRequest& r = im.request;
  if (r.step_count == 0 || r.first_index + r.step_count > steps.size()) return;
  // Steps down the left (numbers of the first and last rows shown).
  // Row centres carry the step numbers.
  const draw::Axis step_axis{
      origin.y, origin.y + size.y, static_cast<double>(steps[r.first_index]) - 0.5,
      static_cast<double>(steps[r.first_index + r.step_count - 1]) + 0.5, true};
  draw::axis_left(dl, step_axis, origin.x, "step");
  const TimelineColumns& c = r.columns;
  const draw::Axis gist_axis{origin.x, origin.x + size.x, static_cast<double>(c.first),
                             static_cast<double>(c.first + c.count), true};
  draw::axis_below(
      dl, gist_axis, origin.y + size.y,
      c.level == 0 ? "chunk" : ("level-" + std::to_string(c.level) + " group").c_str());
}

void ScoreTimelineView::draw_scale(ViewContext& ctx, ImDrawList* dl, ImVec2 min, ImVec2 max) {
  const float bar_h = std::min(max.y - min.y, 160.0f);
  draw::colour_bar(dl, min, ImVec2(min.x + 14, min.y + bar_h));
  const float gutter = gutter_width(*ctx.run);
  if (gutter <= 0 || !image_ || image_->request.run.id != ctx.run->id) return;
  const TimelineRequest& r = image_->request;
  const auto& steps = ctx.run->steps;
  if (r.step_count == 0 || r.first_index + r.step_count > steps.size()) return;
  draw::StepLane lane;
  lane.run = ctx.run.get();
  lane.first = steps[r.first_index];
  lane.last = steps[r.first_index + r.step_count - 1];
  lane.current = ctx.state.step;
  lane.vertical = true;
  lane.coverage_bars = ctx.run->quality.has_coverage();
  lane.coverage_top = ctx.coverage_top;
  const float x0 = max.x - gutter + 6;
  const int64_t clicked = draw::step_lane(dl, ImVec2(x0, min.y), ImVec2(max.x, max.y), lane);
  if (clicked >= 0) ctx.go_to_step(clicked);
}

// --- [SECTION] tooltip: a cell's score and pick ------------------------------------------------

void ScoreTimelineView::draw_tooltip(ViewContext& ctx, ImVec2 origin, ImVec2 size) {
  if (!ImGui::IsItemHovered() || !image_ || image_->request.run.id != ctx.run->id) return;
  const TimelineImage& im = *image_;
  if (im.width == 0 || im.height == 0) return;
  const ImVec2 m = ImGui::GetIO().MousePos;
  const int x = std::clamp(static_cast<int>((m.x - origin.x) / size.x * im.width), 0, im.width - 1);
  const int y =
      std::clamp(static_cast<int>((m.y - origin.y) / size.y * im.height), 0, im.height - 1);
  const auto [i0, i1] = im.row_steps(y);
  const auto& steps = ctx.run->steps;
  if (i1 >= steps.size()) return;
  const TimelineColumns& c = im.request.columns;
  const int32_t g0 = c.first + x * c.per_column,
                g1 = std::min(g0 + c.per_column, c.first + c.count) - 1;
  const size_t cell = static_cast<size_t>(y) * im.width + x;
  const char* unit = c.level == 0 ? "chunk" : "group";
  ImGui::BeginTooltip();
  if (i0 == i1)
    ImGui::Text("step %lld", static_cast<long long>(steps[i0]));
  else
    ImGui::Text("steps %lld-%lld (max of %zu)", static_cast<long long>(steps[i0]),
                static_cast<long long>(steps[i1]), i1 - i0 + 1);
  if (g0 == g1)
    ImGui::Text("%s %d", unit, g0);
  else
    ImGui::Text("%ss %d-%d (max of %d)", unit, g0, g1, g1 - g0 + 1);
  if (std::isnan(im.cell_score[cell]))
    draw::dim_text("not scored by this head here");
  else
    ImGui::Text("score %.4f (the row's range %.3g .. %.3g)", im.cell_score[cell],
                im.row_lo[static_cast<size_t>(y)], im.row_hi[static_cast<size_t>(y)]);
  ImGui::TextUnformatted(im.cell_picked[cell] ? "picked (chosen by the selection)" : "not picked");
  if (c.level == 0)
    for (int32_t a : ctx.run->facts.answer_chunks)
      if (a >= g0 && a <= g1) ImGui::TextColored(theme::vec(theme::answer()), "the answer's chunk");
  if (TransportView::has_lane(ctx.run.get()) && i0 == i1) {
    ImGui::Separator();
    draw::step_tooltip(*ctx.run, steps[i0]);
  }
  draw::dim_text("click: go to this step and chunk · wheel: zoom steps · Shift+wheel: zoom chunks");
  ImGui::EndTooltip();
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Left) &&
      !ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    step_before_click_ = ctx.state.step;
    selection_before_click_ = ctx.state.selected_chunk;
    ctx.go_to_step(steps[i0]);
    if (c.level == 0 && ctx.layout->valid_chunk(g0)) ctx.state.selected_chunk = g0;
  }
}

// --- [SECTION] series: the selected chunk over the steps -----------------------------------------

void ScoreTimelineView::draw_series(ViewContext& ctx, ImVec2 min, ImVec2 max) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const UiState& s = ctx.state;
  const LayoutIndex& index = *ctx.layout;
  if (!index.valid_chunk(s.selected_chunk) || ctx.dense()) {
    dl->AddRectFilled(min, max, theme::panel_background(), 3.0f);
    draw::centered_note(dl, min, max,
                        ctx.dense() ? "a dense layer scores nothing"
                                    : "click a chunk to plot its score over the steps");
    return;
  }
  int64_t gist = index.spans(0)[s.selected_chunk].gist;
  int32_t id = s.selected_chunk;
  if (s.timeline_level > 0) {
    id = index.span_of(gist, s.timeline_level);
    const auto& spans = index.spans(s.timeline_level);
    if (id < 0 || id >= static_cast<int32_t>(spans.size())) {
      draw::centered_note(dl, min, max, "the chunk is in no group at this level");
      return;
    }
    gist = spans[id].gist;
  }
  const int32_t head = std::max(0, s.head);
  auto series = ctx.worker.score_series(ctx.run, s.layer, s.timeline_level, head, gist);
  std::vector<double> xs, ys, picked_x, picked_y;
  if (series)
    for (const auto& p : *series) {
      xs.push_back(static_cast<double>(p.step)), ys.push_back(p.score);
      if (p.chosen) picked_x.push_back(static_cast<double>(p.step)), picked_y.push_back(p.score);
    }
  char label[160];
  std::snprintf(label, sizeof label, "score (q\xC2\xB7k) of %s %d at head %d%s; dots: picked",
                s.timeline_level == 0 ? "chunk" : "group", id, head,
                s.head < 0 ? " (the head menu picks another)" : "");
  draw::PlotStyle style;
  const std::string never = std::string(s.timeline_level == 0 ? "chunk " : "group ") +
                            std::to_string(id) + " was never scored at layer " +
                            std::to_string(s.layer) + ", head " + std::to_string(head);
  style.empty_note = series ? never.c_str() : "loading...";
  style.x_min = ctx.run->steps.empty() ? NAN : static_cast<double>(ctx.run->steps.front());
  style.x_max = ctx.run->steps.empty() ? NAN : static_cast<double>(ctx.run->steps.back());
  const auto r =
      draw::line_plot(dl, min, max, xs, ys, theme::gist_level(s.timeline_level), label, style);
  for (size_t i = 0; i < picked_x.size(); ++i)
    dl->AddCircleFilled(r.at(picked_x[i], picked_y[i]), 3.5f, theme::chosen());
  r.marker(dl, static_cast<double>(s.step), theme::with_alpha(theme::cursor(), 0.5f));
  const int h = draw::hovered_point(r, xs);
  if (h >= 0) {
    ImGui::BeginTooltip();
    ImGui::Text("step %.0f: score %.4f%s", xs[h], ys[h], (*series)[h].chosen ? ", picked" : "");
    ImGui::EndTooltip();
  }
}

// --- [SECTION] CSV ----------------------------------------------------------------------------

void ScoreTimelineView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  out << "step_first,step_last,level,id_first,id_last,max_score,picked\n";
  if (!image_ || image_->request.run.id != ctx.run->id) return;
  const TimelineImage& im = *image_;
  const auto& steps = ctx.run->steps;
  const TimelineColumns& c = im.request.columns;
  for (int y = 0; y < im.rows_done; ++y) {
    const auto [i0, i1] = im.row_steps(y);
    if (i1 >= steps.size()) break;
    for (int x = 0; x < im.width; ++x) {
      const size_t cell = static_cast<size_t>(y) * im.width + x;
      if (std::isnan(im.cell_score[cell])) continue;
      const int32_t g0 = c.first + x * c.per_column;
      out << steps[i0] << "," << steps[i1] << "," << c.level << "," << g0 << ","
          << std::min(g0 + c.per_column, c.first + c.count) - 1 << "," << im.cell_score[cell] << ","
          << int(im.cell_picked[cell]) << "\n";
    }
  }
}

}  // namespace ssa::gui
