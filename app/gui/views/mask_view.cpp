// Mask view: the gist training mask as a zoomable, pannable heatmap.
//
// Level of detail, so that a 128K stream never costs L x L work:
//  - far out (a block <= 2 px): the recorded block description, one texel per block;
//  - in between: a background raster of the visible region (model/mask_raster);
//  - close in (a cell >= 4 px): cells drawn directly from the spec's per-pair rule.
// Beneath the map, the current step's selective-attention row: what the
// decoding query sees (sink, unfolded chunks, chosen gists, suffix).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

constexpr float kSelectionRowHeight = 30.0f;
constexpr float kCellZoom = 4.0f;  // pixels per position from which cells are drawn directly

std::string describe(const LayoutIndex& index, int64_t pos) {
  std::string s = "#" + std::to_string(pos) + " " + LayoutIndex::role_name(index.role(pos));
  if (pos < index.sink_length()) {
    s += ", sink";
  } else {
    s += ", chunk " + std::to_string(index.id(pos, 0));
    for (int level = 1; level < index.num_levels(); ++level)
      s += ", L" + std::to_string(level) + " group " + std::to_string(index.id(pos, level));
  }
  if (pos >= index.prefix_length()) s += ", suffix";
  return s + "  \"" + index.text(pos) + "\"";
}

}  // namespace

MaskView::MaskView()
    : rasterizer_(std::make_unique<AsyncSlot<MaskRasterKey, MaskRaster>>(
          [](const MaskRasterKey& key, AsyncSlot<MaskRasterKey, MaskRaster>::Progress& progress) {
            auto raster =
                std::make_shared<MaskRaster>(rasterize(key, [&] { return progress.cancelled(); }));
            return raster->rgba.empty() ? nullptr : raster;
          })) {}

MaskView::~MaskView() = default;

void MaskView::ensure_block_texture(const RunData& run) {
  if (block_run_ == &run) return;
  block_run_ = &run;
  // One texel per block: at most (L / block)^2, 1M texels at 128K; built once per run.
  const BlockImage image = block_image(run);
  if (image.size > 0) block_texture_.upload(image.size, image.size, image.rgba);
}

void MaskView::draw(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  const LayoutIndex& index = run.index;
  const int64_t length = index.length();
  std::string subtitle = "L = " + std::to_string(length) + " · " + run.settings_summary;
  if (run.mask) subtitle += " · blocks of " + std::to_string(run.mask->block_size);
  draw::title("Mask", subtitle);
  ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - 60.0f);
  if (ImGui::SmallButton("Fit")) fit_requested_ = true;
  draw::swatch(theme::raw_token(), "raw");
  ImGui::SameLine();
  draw::swatch(theme::gist_level(0), "gist");
  for (int level = 1; level < index.num_levels(); ++level) {
    ImGui::SameLine();
    draw::swatch(theme::gist_level(level), ("meta L" + std::to_string(level)).c_str());
  }
  ImGui::SameLine();
  draw::swatch(theme::unfolded(), "unfolded");
  ImGui::SameLine();
  draw::swatch(theme::selected_path(), "chosen / selected");

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 size(std::max(50.0f, avail.x), std::max(50.0f, avail.y - kSelectionRowHeight -
                                                                  ImGui::GetStyle().ItemSpacing.y));
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("mask_canvas", size, ImGuiButtonFlags_MouseButtonLeft);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  dl->AddRectFilled(origin, end, theme::panel_background());
  if (length == 0) {
    draw::centered_note(dl, origin, end, "this run has no layout");
    return;
  }
  if (fit_requested_ || fitted_run_ != run.info.id) {
    zoom_ = std::min(size.x, size.y) / static_cast<float>(length);
    view_x_ = -(size.x / zoom_ - length) / 2.0;
    view_y_ = 0;
    fit_requested_ = false;
    fitted_run_ = run.info.id;
  }
  if (focus_pos_ >= 0) {
    zoom_ = focus_zoom_;
    view_x_ = focus_pos_ + 0.5 - size.x / 2 / zoom_;
    view_y_ = focus_pos_ + 0.5 - size.y / 2 / zoom_;
    focus_pos_ = -1;
  }
  handle_input(ctx, origin, size);
  ensure_block_texture(run);

  dl->PushClipRect(origin, end, true);
  // World rectangle [0, L]^2 on screen.
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  auto sy = [&](double y) { return origin.y + static_cast<float>((y - view_y_) * zoom_); };
  const float block = run.mask ? static_cast<float>(run.mask->block_size) : 128.0f;
  if (zoom_ >= kCellZoom) {
    draw_cells(ctx, dl, origin, size);
  } else {
    // The block image always underlies, so something correct shows at once.
    if (block_texture_.valid()) {
      const float world = block * block_texture_.width();
      dl->AddImage(block_texture_.id(), ImVec2(sx(0), sy(0)), ImVec2(sx(world), sy(world)));
    }
    if (zoom_ * block > 2.0f) {
      MaskRasterKey key;
      key.run = &run;
      key.x0 = view_x_;
      key.y0 = view_y_;
      key.cells_per_pixel = 1.0 / zoom_;
      key.width = static_cast<int>(size.x);
      key.height = static_cast<int>(size.y);
      auto raster = rasterizer_->get(key);
      if (raster && raster->key.run == &run) {
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
  }
  draw_overlays(ctx, dl, origin, size);
  dl->PopClipRect();

  // Hover: which query/key pair is under the cursor.
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int64_t k = static_cast<int64_t>(std::floor(view_x_ + (m.x - origin.x) / zoom_));
    const int64_t q = static_cast<int64_t>(std::floor(view_y_ + (m.y - origin.y) / zoom_));
    if (q >= 0 && q < length && k >= 0 && k < length) {
      ImGui::BeginTooltip();
      ImGui::Text("query %s", describe(index, q).c_str());
      ImGui::Text("key   %s", describe(index, k).c_str());
      const bool allowed = index.mask_allows(q, k);
      ImGui::TextColored(
          ImGui::ColorConvertU32ToFloat4(allowed ? theme::unfolded() : theme::text_dim()), "%s",
          k > q     ? "masked (causal)"
          : allowed ? "visible"
                    : "masked (gist rule)");
      ImGui::EndTooltip();
    }
  }
  draw_selection_row(ctx, dl, ImVec2(origin.x, end.y + ImGui::GetStyle().ItemSpacing.y), size.x);
}

void MaskView::handle_input(ViewContext& ctx, ImVec2 origin, ImVec2 size) {
  ImGuiIO& io = ImGui::GetIO();
  const int64_t length = ctx.run->index.length();
  const float fit_zoom = std::min(size.x, size.y) / static_cast<float>(length);
  if (ImGui::IsItemHovered() && io.MouseWheel != 0.0f) {
    // Zoom around the cursor: the position under it stays put.
    const double wx = view_x_ + (io.MousePos.x - origin.x) / zoom_;
    const double wy = view_y_ + (io.MousePos.y - origin.y) / zoom_;
    zoom_ = std::clamp(zoom_ * std::pow(1.25f, io.MouseWheel), fit_zoom * 0.5f, 96.0f);
    view_x_ = wx - (io.MousePos.x - origin.x) / zoom_;
    view_y_ = wy - (io.MousePos.y - origin.y) / zoom_;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    view_x_ -= io.MouseDelta.x / zoom_;
    view_y_ -= io.MouseDelta.y / zoom_;
  }
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
    fit_requested_ = true;
  // A click (not a drag) selects the chunk of the key under the cursor.
  if (ImGui::IsItemDeactivated() && io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < 4.0f) {
    const int64_t k =
        static_cast<int64_t>(std::floor(view_x_ + (io.MousePos.x - origin.x) / zoom_));
    if (k >= 0 && k < length) ctx.state.selected_chunk = ctx.run->index.span_of(k, 0);
  }
}

void MaskView::draw_cells(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  const LayoutIndex& index = ctx.run->index;
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
  // Close in, the token text of each query row fits to the left of the diagonal.
  if (zoom_ >= ImGui::GetFontSize() + 2.0f) {
    for (int64_t q = q0; q < q1; ++q) {
      const float y = origin.y + static_cast<float>((q - view_y_) * zoom_);
      const float x = origin.x + static_cast<float>((q + 1 - view_x_) * zoom_) + 4.0f;
      dl->AddText(ImVec2(x, y + (zoom_ - ImGui::GetFontSize()) / 2), theme::text_dim(),
                  index.text(q).c_str());
    }
  }
}

void MaskView::draw_overlays(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, ImVec2 size) {
  const LayoutIndex& index = ctx.run->index;
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  auto sy = [&](double y) { return origin.y + static_cast<float>((y - view_y_) * zoom_); };
  const float top = origin.y, bottom = origin.y + size.y;
  // Unfolded chunks of the current step: faint columns through the map.
  if (ctx.step) {
    for (int32_t chunk : ctx.step->unfolded_chunks) {
      const Span& span = index.spans(0)[chunk];
      dl->AddRectFilled(ImVec2(sx(span.begin), top),
                        ImVec2(std::max(sx(span.gist + 1), sx(span.begin) + 2), bottom),
                        theme::with_alpha(theme::unfolded(), 0.16f));
    }
  }
  // The prefix/suffix boundary.
  const float px = sx(index.prefix_length());
  dl->AddLine(ImVec2(px, top), ImVec2(px, bottom), theme::with_alpha(theme::suffix(), 0.35f));
  const float py = sy(index.prefix_length());
  dl->AddLine(ImVec2(origin.x, py), ImVec2(origin.x + size.x, py),
              theme::with_alpha(theme::suffix(), 0.35f));
  // The selected chunk: its rows and columns outlined.
  const int32_t chunk = ctx.state.selected_chunk;
  if (chunk >= 0 && chunk < index.num_chunks()) {
    const Span& span = index.spans(0)[chunk];
    const float x0 = sx(span.begin), x1 = std::max(sx(span.gist + 1), x0 + 2);
    const float y0 = sy(span.begin), y1 = std::max(sy(span.gist + 1), y0 + 2);
    const ImU32 c = theme::selected_path();
    dl->AddRect(ImVec2(x0, top), ImVec2(x1, bottom), theme::with_alpha(c, 0.7f));
    dl->AddRect(ImVec2(origin.x, y0), ImVec2(origin.x + size.x, y1), theme::with_alpha(c, 0.7f));
  }
}

void MaskView::draw_selection_row(ViewContext& ctx, ImDrawList* dl, ImVec2 origin, float width) {
  const LayoutIndex& index = ctx.run->index;
  const float h = kSelectionRowHeight - 6.0f;
  const ImVec2 end(origin.x + width, origin.y + h);
  ImGui::Dummy(ImVec2(width, kSelectionRowHeight));
  dl->AddRectFilled(origin, end, theme::panel_background(), 3.0f);
  auto sx = [&](double x) { return origin.x + static_cast<float>((x - view_x_) * zoom_); };
  dl->PushClipRect(origin, end, true);
  auto band = [&](double a, double b, ImU32 colour) {
    const float x0 = sx(a), x1 = std::max(sx(b), x0 + 2.0f);
    dl->AddRectFilled(ImVec2(x0, origin.y + 3), ImVec2(x1, end.y - 3), colour);
  };
  if (index.sink_length() > 0) band(0, index.sink_length(), theme::sink());
  band(index.prefix_length(), index.length(), theme::suffix());
  const char* note = nullptr;
  if (!ctx.step) {
    note = "loading the step...";
  } else if (!ctx.step->recorded) {
    note = "no selection recorded at this step and layer";
  } else {
    for (int32_t chunk : ctx.step->unfolded_chunks) {
      const Span& span = index.spans(0)[chunk];
      band(span.begin, span.gist + 1, theme::unfolded());
    }
    for (int level = 0; level < static_cast<int>(ctx.step->levels.size()); ++level)
      for (int64_t pos : ctx.step->levels[level].chosen)
        band(pos, pos + 1, theme::gist_level(level));
  }
  dl->PopClipRect();
  char label[160];
  std::snprintf(label, sizeof label, "step %lld query sees%s%s",
                static_cast<long long>(ctx.state.step), note ? ": " : "", note ? note : "");
  dl->AddText(ImVec2(origin.x + 6, origin.y + (h - ImGui::GetFontSize()) / 2),
              IM_COL32(235, 238, 245, 230), label);
}

}  // namespace ssa::gui
