// Mask view: the gist training mask as a zoomable, pannable heatmap with
// position axes (keys along the top, queries down the left).
//
// Level of detail, so that a 128K stream never costs L x L work:
//  - far out (a block <= 2 px): the recorded block description, one texel per block;
//  - in between: a raster of the visible region (the Worker's raster thread);
//  - close in (a cell >= 4 px): cells drawn directly from the spec's per-pair rule.
// Beneath the map, the current step's query row: what the decoding query
// sees (sink, unfolded chunks, chosen gists, question, generated tokens), or
// at a dense layer its training-mask row.
//
// [SECTION] palette and small helpers
// [SECTION] draw: the panel body
// [SECTION] view: fit and focus
// [SECTION] input: wheel, drag, click, double-click
// [SECTION] picture: block image, raster, cells
// [SECTION] overlays: unfolded, answer, selection, query
// [SECTION] axes
// [SECTION] tooltip
// [SECTION] query row
// [SECTION] CSV
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

// --- [SECTION] palette and small helpers ---------------------------------------------

// The query's row: a strip of bands, and beneath it what they are, in words
// (never drawn over the bands it describes).
constexpr float kQueryRowHeight = 40.0f;
constexpr float kQueryBandHeight = 12.0f;
constexpr float kCellZoom = 4.0f;  // pixels per position from which cells are drawn directly
constexpr float kMaxZoom = 96.0f;

std::string describe(const LayoutIndex& index, int64_t pos) {
  std::string s = "#" + std::to_string(pos) + " " + LayoutIndex::role_name(index.role(pos));
  if (pos < index.sink_length()) {
    s += ", sink";
  } else {
    const int32_t chunk = index.span_of(pos, 0);
    if (chunk >= 0) s += ", chunk " + std::to_string(chunk);
    for (int level = 1; level < index.num_levels(); ++level) {
      const int32_t group = index.span_of(pos, level);
      if (group >= 0) s += ", L" + std::to_string(level) + " group " + std::to_string(group);
    }
  }
  if (pos >= index.prefix_length()) s += ", after the prefix";
  return s + "  \"" + std::string(index.text(pos)) + "\"";
}

float left_margin(const LayoutIndex& index) {
  return draw::left_axis_width(static_cast<double>(index.length())) + 4;
}

float top_margin() {
  return (theme::fonts().small ? theme::fonts().small->FontSize : 13.0f) + 8;
}

}  // namespace

std::shared_ptr<const MaskPalette> mask_palette() {
  static const auto palette = [] {
    auto p = std::make_shared<MaskPalette>();
    for (int role = 0; role <= 4; ++role) p->roles.push_back(theme::role_colour(role));
    p->masked = theme::masked();
    p->outside = theme::outside();
    return p;
  }();
  return palette;
}

void training_row_bands(const LayoutIndex& index, int64_t query, int64_t first, int64_t last,
                        int64_t max_bands,
                        const std::function<void(int64_t, int64_t, ImU32)>& band) {
  first = std::max<int64_t>(0, first);
  last = std::min(last, std::min(query + 1, index.length()));
  if (last <= first || max_bands <= 0) return;
  const int64_t stride = std::max<int64_t>(1, (last - first + max_bands - 1) / max_bands);
  int64_t open = -1;
  int open_role = 0;
  for (int64_t k = first; k < last; k += stride) {
    // A sample stands for `stride` keys: visible when any of them is.
    int role = -1;
    for (int64_t j = k; j < std::min(last, k + stride) && role < 0; ++j)
      if (index.mask_allows(query, j)) role = index.role(j);
    if (open >= 0 && role != open_role) {
      band(open, k, theme::role_colour(open_role));
      open = -1;
    }
    if (role >= 0 && open < 0) open = k, open_role = role;
  }
  if (open >= 0) band(open, last, theme::role_colour(open_role));
}

// --- [SECTION] draw: the panel body -------------------------------------------------

std::string MaskView::subtitle(const ViewContext& ctx) const {
  if (!ctx.layout) return "";
  std::string s =
      "L = " + std::to_string(ctx.layout->length()) + " positions · " + ctx.run->settings_summary;
  if (ctx.run->mask) s += " · blocks of " + std::to_string(ctx.run->mask->block_size);
  char zoom[48];
  std::snprintf(zoom, sizeof zoom, " · %.3g px per position", zoom_);
  return s + zoom;
}

void MaskView::draw(ViewContext& ctx) {
  if (!palette_) palette_ = mask_palette();
  const LayoutIndex& index = *ctx.layout;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 body = ImGui::GetCursorScreenPos();
  const float left = left_margin(index), top = top_margin();
  const ImVec2 origin(body.x + left, body.y + top);
  const ImVec2 size(
      std::max(50.0f, avail.x - left),
      std::max(50.0f, avail.y - top - kQueryRowHeight - ImGui::GetStyle().ItemSpacing.y));
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("mask_canvas", size, ImGuiButtonFlags_MouseButtonLeft);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  dl->AddRectFilled(origin, end, theme::outside());
  if (index.length() == 0) {
    draw::centered_note(dl, origin, end, "this run has no layout");
    return;
  }
  update_view(ctx, size);
  handle_input(ctx, origin, size);
  dl->PushClipRect(origin, end, true);
  draw_picture(ctx, dl, origin, size);
  draw_overlays(ctx, dl, origin, size);
  dl->PopClipRect();
  draw_axes(ctx, dl, origin, size);
  draw_tooltip(ctx, origin);
  ImGui::SetCursorScreenPos(ImVec2(origin.x, end.y + ImGui::GetStyle().ItemSpacing.y));
  draw_query_row(ctx, dl, ImGui::GetCursorScreenPos(), size.x);
}

// --- [SECTION] view: fit and focus ----------------------------------------------------

void MaskView::update_view(ViewContext& ctx, ImVec2 size) {
  const int64_t length = ctx.layout->length();
  // Fitted again for a new layout, on request, and when the canvas changes
  // size (maximised, the window resized) while the user has not moved it.
  const bool resized = size.x != fitted_size_.x || size.y != fitted_size_.y;
  if (fit_requested_ || fitted_layout_ != ctx.layout || (resized && !user_moved_)) {
    zoom_ = std::min(size.x, size.y) / static_cast<float>(length);
    view_x_ = -(size.x / zoom_ - length) / 2.0;
    view_y_ = 0;
    fit_requested_ = false;
    user_moved_ = false;
    fitted_layout_ = ctx.layout;
  }
  fitted_size_ = size;
  if (focus_pos_ >= 0) {
    user_moved_ = true;
    zoom_ = std::clamp(focus_zoom_, 0.001f, kMaxZoom);
    view_x_ = focus_pos_ + 0.5 - size.x / 2 / zoom_;
    view_y_ = focus_pos_ + 0.5 - size.y / 2 / zoom_;
    focus_pos_ = -1;
  }
}

// --- [SECTION] input: wheel, drag, click, double-click ------------------------------------

void MaskView::handle_input(ViewContext& ctx, ImVec2 origin, ImVec2 size) {
  ImGuiIO& io = ImGui::GetIO();
  const int64_t length = ctx.layout->length();
  const float fit_zoom = std::min(size.x, size.y) / static_cast<float>(length);
  if (ImGui::IsItemHovered() && io.MouseWheel != 0.0f) {
    // Zoom around the cursor: the position under it stays put.
    const double wx = view_x_ + (io.MousePos.x - origin.x) / zoom_;
    const double wy = view_y_ + (io.MousePos.y - origin.y) / zoom_;
    zoom_ = std::clamp(zoom_ * std::pow(1.25f, io.MouseWheel), fit_zoom * 0.5f, kMaxZoom);
    user_moved_ = true;
    view_x_ = wx - (io.MousePos.x - origin.x) / zoom_;
    view_y_ = wy - (io.MousePos.y - origin.y) / zoom_;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    view_x_ -= io.MouseDelta.x / zoom_;
    view_y_ -= io.MouseDelta.y / zoom_;
    user_moved_ = true;
  }
  // The first click of a double-click selected a chunk: the fit undoes that.
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    fit_requested_ = true;
    ctx.state.selected_chunk = selection_before_click_;
    swallow_release_ = true;
    return;
  }
  // A click (not a drag) selects the chunk of the key under the cursor.
  if (ImGui::IsItemDeactivated() && swallow_release_) {
    swallow_release_ = false;
  } else if (ImGui::IsItemDeactivated() &&
             io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < 4.0f) {
    const int64_t k =
        static_cast<int64_t>(std::floor(view_x_ + (io.MousePos.x - origin.x) / zoom_));
    selection_before_click_ = ctx.state.selected_chunk;
    const int32_t chunk = ctx.layout->span_of(k, 0);
    if (chunk >= 0) ctx.state.selected_chunk = chunk;
  }
}

// --- [SECTION] picture: block image, raster, cells ------------------------------------------

void MaskView::draw_picture(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  auto sy = [&](double y) { return origin.y + static_cast<float>((y - view_y_) * zoom_); };
  const RunData& run = *ctx.run;
  if (zoom_ >= kCellZoom) {
    draw_cells(ctx, dl, origin, size);
    return;
  }
  // The block image always underlies, so something correct shows at once.
  if (run.mask) {
    auto blocks = ctx.worker.block_image({run.layout, run.mask, palette_});
    if (blocks && blocks != shown_blocks_ && blocks->size > 0) {
      block_texture_.upload(blocks->size, blocks->size, blocks->rgba);
      shown_blocks_ = blocks;
    }
    if (shown_blocks_ && shown_blocks_->key.layout == run.layout && block_texture_.valid()) {
      const double world = static_cast<double>(shown_blocks_->block_size) * shown_blocks_->size;
      dl->AddImage(block_texture_.id(), ImVec2(sx(0), sy(0)), ImVec2(sx(world), sy(world)));
    }
  }
  const float block = run.mask ? static_cast<float>(run.mask->block_size) : 128.0f;
  if (zoom_ * block <= 2.0f && run.mask) return;
  MaskRasterKey key;
  key.layout = run.layout;
  key.palette = palette_;
  key.x0 = view_x_;
  key.y0 = view_y_;
  key.cells_per_pixel = 1.0 / zoom_;
  key.width = static_cast<int>(size.x);
  key.height = static_cast<int>(size.y);
  auto raster = ctx.worker.mask_raster(key);
  if (raster && raster->key.layout == run.layout) {
    if (raster != shown_raster_) {
      raster_texture_.upload(raster->key.width, raster->key.height, raster->rgba);
      shown_raster_ = raster;
    }
    const auto& k = raster->key;
    const double w = k.width * k.cells_per_pixel, h = k.height * k.cells_per_pixel;
    dl->AddImage(raster_texture_.id(), ImVec2(sx(k.x0), sy(k.y0)),
                 ImVec2(sx(k.x0 + w), sy(k.y0 + h)));
  }
}

void MaskView::draw_cells(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  const LayoutIndex& index = *ctx.layout;
  const int64_t length = index.length();
  const int64_t q0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(view_y_)));
  const int64_t q1 =
      std::min<int64_t>(length, static_cast<int64_t>(std::ceil(view_y_ + size.y / zoom_)));
  const int64_t k0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(view_x_)));
  const int64_t k1 =
      std::min<int64_t>(length, static_cast<int64_t>(std::ceil(view_x_ + size.x / zoom_)));
  const float gap = zoom_ >= 10.0f ? 1.0f : 0.0f;
  for (int64_t q = q0; q < q1; ++q) {
    const float y = origin.y + static_cast<float>((q - view_y_) * zoom_);
    for (int64_t k = k0; k < std::min(k1, q + 1); ++k) {
      const float x = origin.x + static_cast<float>((k - view_x_) * zoom_);
      const ImU32 colour =
          index.mask_allows(q, k) ? theme::role_colour(index.role(k)) : theme::masked();
      dl->AddRectFilled(ImVec2(x, y), ImVec2(x + zoom_ - gap, y + zoom_ - gap), colour);
    }
  }
  // Close in, the token text of each query row fits to the right of the diagonal.
  if (zoom_ >= ImGui::GetFontSize() + 2.0f) {
    for (int64_t q = q0; q < q1; ++q) {
      const float y = origin.y + static_cast<float>((q - view_y_) * zoom_);
      const float x = origin.x + static_cast<float>((q + 1 - view_x_) * zoom_) + 4.0f;
      const auto text = index.text(q);
      dl->AddText(ImVec2(x, y + (zoom_ - ImGui::GetFontSize()) / 2), theme::text_dim(), text.data(),
                  text.data() + text.size());
    }
  }
}

// --- [SECTION] overlays: unfolded, answer, selection, query -------------------------------------

void MaskView::draw_overlays(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  const LayoutIndex& index = *ctx.layout;
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  auto sy = [&](double y) { return origin.y + static_cast<float>((y - view_y_) * zoom_); };
  const float top = origin.y, bottom = origin.y + size.y;
  const auto& chunks = index.spans(0);
  // Columns at least 3 px wide, so that a chunk far out is still a mark.
  auto column = [&](const Span& span, ImU32 fill, ImU32 outline) {
    float x0 = sx(span.begin), x1 = sx(span.gist + 1);
    if (x1 - x0 < 3) {
      const float c = (x0 + x1) / 2;
      x0 = c - 1.5f, x1 = c + 1.5f;
    }
    dl->AddRectFilled(ImVec2(x0, top), ImVec2(x1, bottom), fill);
    // Outside the column, so that the cursor's outline on the same chunk leaves it visible.
    if (outline) dl->AddRect(ImVec2(x0 - 2, top), ImVec2(x1 + 2, bottom), outline, 0, 0, 1.5f);
  };
  // Unfolded chunks of the current step: faint chosen columns through the map.
  if (ctx.step && ctx.step->recorded && !ctx.dense())
    for (int32_t chunk : ctx.step->unfolded_chunks)
      if (index.valid_chunk(chunk))
        column(chunks[chunk], theme::with_alpha(theme::chosen(), 0.22f), 0);
  // Where the answer lives.
  for (int32_t chunk : ctx.run->facts.answer_chunks)
    column(chunks[chunk], theme::with_alpha(theme::answer(), 0.20f),
           theme::with_alpha(theme::answer(), 0.9f));
  // The prefix/suffix boundary.
  const ImU32 boundary = theme::with_alpha(theme::question(), 0.35f);
  const float px = sx(index.prefix_length()), py = sy(index.prefix_length());
  dl->AddLine(ImVec2(px, top), ImVec2(px, bottom), boundary);
  dl->AddLine(ImVec2(origin.x, py), ImVec2(origin.x + size.x, py), boundary);
  // The cursor: the selected chunk's rows and columns, and the query's row.
  const int32_t chunk = ctx.state.selected_chunk;
  if (index.valid_chunk(chunk)) {
    const Span& span = chunks[chunk];
    const float x0 = sx(span.begin), x1 = std::max(sx(span.gist + 1), x0 + 2);
    const float y0 = sy(span.begin), y1 = std::max(sy(span.gist + 1), y0 + 2);
    dl->AddRect(ImVec2(x0, top), ImVec2(x1, bottom), theme::with_alpha(theme::cursor(), 0.8f));
    dl->AddRect(ImVec2(origin.x, y0), ImVec2(origin.x + size.x, y1),
                theme::with_alpha(theme::cursor(), 0.8f));
  }
  const int64_t q = ctx.query_position();
  if (q >= 0) {
    const float y = sy(q + 0.5);
    dl->AddLine(ImVec2(origin.x, y), ImVec2(origin.x + size.x, y),
                theme::with_alpha(theme::cursor(), 0.5f));
  }
}

// --- [SECTION] axes -------------------------------------------------------------------

void MaskView::draw_axes(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  // Only the stream's own positions get ticks: [0, L] clipped to the canvas.
  const double length = static_cast<double>(ctx.layout->length());
  const double k0 = std::max(0.0, view_x_), k1 = std::min(length, view_x_ + size.x / zoom_);
  const double q0 = std::max(0.0, view_y_), q1 = std::min(length, view_y_ + size.y / zoom_);
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  auto sy = [&](double y) { return origin.y + static_cast<float>((y - view_y_) * zoom_); };
  if (k1 > k0) draw::axis_above(dl, draw::Axis{sx(k0), sx(k1), k0, k1, true}, origin.y);
  if (q1 > q0) draw::axis_left(dl, draw::Axis{sy(q0), sy(q1), q0, q1, true}, origin.x);
  // The axes' names in the corner they share: queries down, keys across.
  ImFont* small = theme::fonts().small ? theme::fonts().small : ImGui::GetFont();
  const char* names = "q\xE2\x86\x93 k\xE2\x86\x92";
  const ImVec2 s = small->CalcTextSizeA(small->FontSize, FLT_MAX, 0, names);
  dl->AddText(small, small->FontSize, ImVec2(origin.x - s.x - 4, origin.y - s.y - 4),
              theme::text_dim(), names);
}

// --- [SECTION] tooltip ------------------------------------------------------------------

void MaskView::draw_tooltip(ViewContext& ctx, ImVec2 origin) {
  if (!ImGui::IsItemHovered()) return;
  const LayoutIndex& index = *ctx.layout;
  const ImVec2 m = ImGui::GetIO().MousePos;
  const int64_t k = static_cast<int64_t>(std::floor(view_x_ + (m.x - origin.x) / zoom_));
  const int64_t q = static_cast<int64_t>(std::floor(view_y_ + (m.y - origin.y) / zoom_));
  if (!index.contains(q) || !index.contains(k)) return;
  ImGui::BeginTooltip();
  ImGui::Text("query %s", describe(index, q).c_str());
  ImGui::Text("key   %s", describe(index, k).c_str());
  const bool allowed = index.mask_allows(q, k);
  ImGui::TextColored(theme::vec(allowed ? theme::text() : theme::text_dim()), "%s",
                     k > q     ? "masked (causal)"
                     : allowed ? "visible in training"
                               : "masked (gist rule)");
  const int32_t chunk = index.span_of(k, 0);
  if (chunk >= 0 && ctx.run->is_answer_chunk(chunk))
    ImGui::TextColored(theme::vec(theme::answer()), "the key is in the answer's chunk");
  draw::dim_text("wheel: zoom · drag: pan · click: select the key's chunk · double-click: fit");
  ImGui::EndTooltip();
}

// --- [SECTION] query row ------------------------------------------------------------------

void MaskView::draw_query_row(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, float width) {
  const LayoutIndex& index = *ctx.layout;
  const ImVec2 end(origin.x + width, origin.y + kQueryBandHeight + 4);
  ImGui::Dummy(ImVec2(width, kQueryRowHeight));
  dl->AddRectFilled(origin, end, theme::panel_background(), 3.0f);
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  dl->PushClipRect(origin, end, true);
  auto band = [&](int64_t a, int64_t b, ImU32 colour) {
    const float x0 = sx(static_cast<double>(a)),
                x1 = std::max(sx(static_cast<double>(b)), x0 + 2.0f);
    dl->AddRectFilled(ImVec2(x0, origin.y + 2), ImVec2(x1, end.y - 2), colour);
  };
  std::string note;
  const int64_t q = ctx.query_position();
  if (index.sink_length() > 0) band(0, index.sink_length(), theme::sink());
  band(index.prefix_length(), std::min(ctx.run->prompt_length, q + 1), theme::question());
  if (q >= ctx.run->prompt_length) band(ctx.run->prompt_length, q + 1, theme::generated());
  if (!ctx.no_steps_note().empty()) {
    note = ctx.no_steps_note();
  } else if (ctx.dense()) {
    const int64_t first = static_cast<int64_t>(std::floor(view_x_));
    const int64_t last = static_cast<int64_t>(std::ceil(view_x_ + width / zoom_));
    training_row_bands(index, q, std::max(first, index.sink_length()),
                       std::min(last, index.prefix_length()), static_cast<int64_t>(width), band);
    note = "layer " + std::to_string(ctx.state.layer) +
           " is dense: its training-mask row, no selection";
  } else if (!ctx.step) {
    note = "loading the step...";
  } else if (!ctx.step->recorded) {
    note = "no selection recorded at this step and layer";
  } else {
    for (int32_t chunk : ctx.step->unfolded_chunks) {
      if (!index.valid_chunk(chunk)) continue;
      const Span& span = index.spans(0)[chunk];
      band(span.begin, span.gist + 1, theme::chosen());
    }
    for (int level = 0; level < static_cast<int>(ctx.step->levels.size()); ++level)
      for (int64_t pos : ctx.step->levels[level].chosen)
        band(pos, pos + 1, theme::gist_level(level));
  }
  dl->PopClipRect();
  std::string label =
      q < 0 ? std::string("the query sees")
            : "step " + std::to_string(ctx.state.step) + ", query #" + std::to_string(q) + " sees";
  if (!note.empty()) label += ": " + note;
  dl->AddText(ImVec2(origin.x + 2, end.y + 2), theme::text_dim(), label.c_str());
}

// --- [SECTION] CSV ---------------------------------------------------------------------

void MaskView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  if (!ctx.layout) return;
  const LayoutIndex& index = *ctx.layout;
  const int64_t q = ctx.query_position();
  out << "position,role,chunk";
  for (int level = 1; level < index.num_levels(); ++level) out << ",group_L" << level;
  out << ",raw_index,text,visible_to_query_" << q << ",unfolded_at_step_" << ctx.state.step
      << "_layer_" << ctx.state.layer << "\n";
  for (int64_t pos = 0; pos < index.length(); ++pos) {
    const int32_t chunk = index.span_of(pos, 0);
    out << pos << "," << LayoutIndex::role_name(index.role(pos)) << "," << chunk;
    for (int level = 1; level < index.num_levels(); ++level)
      out << "," << index.span_of(pos, level);
    std::string text(index.text(pos));
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    out << "," << index.raw_index(pos) << "," << quoted << "\","
        << (index.mask_allows(q, pos) ? 1 : 0) << ","
        << (chunk >= 0 && ctx.step && ctx.step->is_unfolded(chunk) ? 1 : 0) << "\n";
  }
}

}  // namespace ssa::gui
