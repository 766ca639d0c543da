// Score timeline: decode steps (rows) x gists of one level (columns), each
// row coloured by that step's scores for the chosen layer and head, the top-k
// picks painted in the selected-path colour, the answer chunk marked; at the
// right, per step, whether the answer chunk was unfolded and the share of the
// full-attention mass covered (draw::step_lane); below, the selected chunk's score over the steps.
// The image is aggregated by the model's worker; a new texture is uploaded only when a new image
// lands.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

void ScoreTimelineView::draw(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  const LayoutIndex& index = run.index;
  UiState& s = ctx.state;
  s.timeline_level = std::clamp(s.timeline_level, 0, index.top_level());
  const std::string head = s.head < 0 ? "all heads (max)" : "head " + std::to_string(s.head);
  draw::title("Score timeline", "layer " + std::to_string(s.layer) + " · " + head);
  if (index.num_levels() > 1) {
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), " level:");
    for (int level = 0; level < index.num_levels(); ++level) {
      ImGui::SameLine();
      const std::string label = level == 0 ? "gists" : "M" + std::to_string(level);
      if (ImGui::RadioButton(label.c_str(), s.timeline_level == level)) s.timeline_level = level;
    }
  }
  draw::swatch(theme::score_colour(0.1f), "low");
  ImGui::SameLine();
  draw::swatch(theme::score_colour(0.95f), "high (per step)");
  ImGui::SameLine();
  draw::swatch(theme::selected_path(), "picked");
  ImGui::SameLine();
  draw::swatch(theme::answer(), "answer chunk");
  ImGui::SameLine();
  draw::swatch(IM_COL32(255, 255, 255, 255), "current step");
  // The gutter at the right: per step (row), the answer mark and the coverage bar.
  const bool lane = TransportView::has_lane(&run);
  if (lane && run.quality.knows_answer()) {
    draw::same_line_if_fits(ImGui::CalcTextSize("answer unfolded").x + 30);
    draw::swatch(theme::answer(), "answer unfolded");
  }
  const double coverage_top = draw::share_axis_max(run.quality.max_coverage);
  if (lane && run.quality.has_coverage()) {
    char text[64];
    std::snprintf(text, sizeof text, "mass covered (bar: 0..%.2g)", coverage_top);
    draw::same_line_if_fits(ImGui::CalcTextSize(text).x + 30);
    draw::swatch(theme::coverage(), text);
  }

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float plot_h = std::clamp(avail.y * 0.3f, 90.0f, 220.0f);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float gutter_w =
      !lane ? 0.0f : std::round(ImGui::GetFontSize() * (run.quality.has_coverage() ? 4.0f : 0.6f));
  const float gutter_gap = lane ? 6.0f : 0.0f;
  const ImVec2 size(avail.x - gutter_w - gutter_gap,
                    std::max(60.0f, avail.y - plot_h - ImGui::GetStyle().ItemSpacing.y));
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  ImGui::InvisibleButton("timeline_canvas", size);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, end, theme::panel_background());

  auto image = ctx.model.timeline(s.run_id, s.layer, s.head, s.timeline_level,
                                  static_cast<int>(std::min(size.x, 2048.0f)));
  // A new image arrives a few times a second while the worker aggregates.
  if (image && image != image_ && image->width > 0) {
    texture_.upload(image->width, image->height, image->rgba);
    image_ = image;
  }
  if (!image_ || image_->width == 0) {
    draw::centered_note(dl, origin, end,
                        image ? "no scores recorded for this run" : "aggregating...");
  } else {
    const TimelineImage& im = *image_;
    dl->AddImage(texture_.id(), origin, end);
    const float col_w = size.x / im.width, row_h = size.y / im.height;
    auto column_x = [&](int32_t gist) { return origin.x + (gist / im.gists_per_column) * col_w; };
    // Answer chunks: red ticks above and below their column.
    for (int32_t chunk : run.answer_chunks) {
      const int64_t pos = index.spans(0)[chunk].gist;
      const int32_t id = s.timeline_level == 0 ? chunk : index.id(pos, s.timeline_level);
      const float x = column_x(id) + col_w / 2;
      dl->AddLine(ImVec2(x, origin.y), ImVec2(x, end.y), theme::with_alpha(theme::answer(), 0.45f),
                  std::max(1.0f, std::min(col_w, 3.0f)));
    }
    if (s.selected_chunk >= 0 && s.selected_chunk < index.num_chunks()) {
      const int64_t pos = index.spans(0)[s.selected_chunk].gist;
      const int32_t id = s.timeline_level == 0 ? s.selected_chunk : index.id(pos, s.timeline_level);
      const float x = column_x(id);
      dl->AddRect(ImVec2(x - 1, origin.y), ImVec2(x + std::max(col_w, 2.0f) + 1, end.y),
                  theme::selected_path());
    }
    if (lane) {
      draw::StepLane gutter;
      gutter.run = &run;
      gutter.first = im.first_step;
      gutter.last = im.first_step + im.height - 1;
      gutter.current = s.step;
      gutter.vertical = true;
      gutter.coverage_bars = run.quality.has_coverage();
      gutter.coverage_top = coverage_top;
      const int64_t clicked = draw::step_lane(dl, ImVec2(end.x + gutter_gap, origin.y),
                                              ImVec2(end.x + gutter_gap + gutter_w, end.y), gutter);
      if (clicked >= 0) s.step = clicked, s.playing = false;
    }
    const float y = origin.y + (s.step - im.first_step + 0.5f) * row_h;
    dl->AddLine(ImVec2(origin.x, y), ImVec2(end.x, y), IM_COL32(255, 255, 255, 220), 1.5f);
    if (im.rows_done < im.height) {
      char note[64];
      std::snprintf(note, sizeof note, "aggregating %d / %d steps", im.rows_done, im.height);
      dl->AddRectFilled(ImVec2(end.x - 220, end.y - 26), end, IM_COL32(0, 0, 0, 160));
      dl->AddText(ImVec2(end.x - 212, end.y - 22), theme::text_dim(), note);
    }
    if (ImGui::IsItemHovered()) {
      const ImVec2 m = ImGui::GetIO().MousePos;
      const int column = static_cast<int>((m.x - origin.x) / col_w);
      const int64_t step = im.first_step + static_cast<int64_t>((m.y - origin.y) / row_h);
      const int32_t first = column * im.gists_per_column;
      ImGui::BeginTooltip();
      ImGui::Text("step %lld", static_cast<long long>(step));
      if (im.gists_per_column > 1)
        ImGui::Text("%s %d..%d (max of %d)", s.timeline_level == 0 ? "chunks" : "groups", first,
                    first + im.gists_per_column - 1, im.gists_per_column);
      else
        ImGui::Text("%s %d", s.timeline_level == 0 ? "chunk" : "group", first);
      if (lane) {
        ImGui::Separator();
        draw::step_tooltip(run, step);
        ImGui::Separator();
      }
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()),
                         "click: go to this step and chunk");
      ImGui::EndTooltip();
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
        s.step = std::clamp(step, ctx.first_step, ctx.last_step);
        s.playing = false;
        if (s.timeline_level == 0 && first < index.num_chunks()) s.selected_chunk = first;
      }
    }
  }

  // The selected chunk's (or its group's) score over the steps.
  const ImVec2 plot_min(origin.x, end.y + ImGui::GetStyle().ItemSpacing.y);
  const ImVec2 plot_max(origin.x + avail.x, plot_min.y + plot_h);
  ImGui::Dummy(ImVec2(avail.x, plot_h));
  if (s.selected_chunk < 0 || s.selected_chunk >= index.num_chunks()) {
    dl->AddRectFilled(plot_min, plot_max, theme::panel_background(), 3.0f);
    draw::centered_note(dl, plot_min, plot_max, "click a chunk to plot its score over the steps");
    return;
  }
  int64_t gist = index.spans(0)[s.selected_chunk].gist;
  if (s.timeline_level > 0)
    gist = index.spans(s.timeline_level)[index.id(gist, s.timeline_level)].gist;
  auto series =
      ctx.model.score_series(s.run_id, s.layer, s.timeline_level, std::max(0, s.head), gist);
  std::vector<double> xs, ys;
  if (series)
    for (const auto& p : *series) xs.push_back(static_cast<double>(p.step)), ys.push_back(p.score);
  char label[128];
  std::snprintf(label, sizeof label, "score of %s %d (head %d) over steps; dots: picked",
                s.timeline_level == 0 ? "chunk" : "group", index.id(gist, s.timeline_level),
                std::max(0, s.head));
  const auto r =
      draw::line_plot(dl, plot_min, plot_max, xs, ys, theme::gist_level(s.timeline_level), label);
  if (series && !xs.empty()) {
    for (const auto& p : *series)
      if (p.chosen)
        dl->AddCircleFilled(r.at(static_cast<double>(p.step), p.score), 3.0f,
                            theme::selected_path());
    r.marker(dl, static_cast<double>(s.step), IM_COL32(255, 255, 255, 120));
  }
}

}  // namespace ssa::gui
