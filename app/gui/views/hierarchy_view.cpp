// Hierarchy view: the levels as an icicle for the current step. Each row is
// one level's scored candidates (top level first), coloured by score, the
// chosen ones outlined in the selected-path colour and joined to the
// candidates they opened one level down; the last row shows the unfolded
// chunks with the start of their text.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

constexpr float kLabelWidth = 86.0f;

// x extent of candidate i of n in a row [x0, x1].
struct RowGeometry {
  float x0, x1;
  size_t n;
  float left(size_t i) const { return x0 + (x1 - x0) * i / std::max<size_t>(1, n); }
  float right(size_t i) const { return x0 + (x1 - x0) * (i + 1) / std::max<size_t>(1, n); }
};

}  // namespace

void HierarchyView::draw(ViewContext& ctx) {
  const LayoutIndex& index = ctx.run->index;
  const HeadStep* step = ctx.step.get();
  // The chosen path in words: top level down to the unfolded chunks.
  std::string path;
  if (step && step->recorded) {
    for (int level = index.top_level(); level >= 0; --level) {
      const auto& chosen = step->levels[level].chosen;
      if (chosen.empty()) continue;
      if (!path.empty()) path += " \xE2\x86\x92 ";  // arrow
      path += LayoutIndex::gist_label(level) + " ";
      for (size_t i = 0; i < chosen.size() && i < 4; ++i)
        path += (i ? "," : "") + std::to_string(index.id(chosen[i], level));
      if (chosen.size() > 4) path += ",+" + std::to_string(chosen.size() - 4);
    }
  }
  draw::title("Hierarchy",
              "step " + std::to_string(ctx.state.step) + (path.empty() ? "" : " · " + path));

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  ImGui::Dummy(avail);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end(origin.x + avail.x, origin.y + avail.y);
  if (!step) {
    draw::centered_note(dl, origin, end, "loading the step...");
    return;
  }
  if (!step->recorded) {
    draw::centered_note(dl, origin, end, "no scores recorded at this step and layer");
    return;
  }
  const int rows = index.num_levels() + 1;
  const float gap = 22.0f;  // room for the parent-child connectors
  const float row_h = std::min(84.0f, (avail.y - gap * (rows - 1)) / rows);
  const float x0 = origin.x + kLabelWidth, x1 = end.x - 4;
  const ImVec2 mouse = ImGui::GetIO().MousePos;

  std::vector<RowGeometry> geometry(index.num_levels());
  for (int r = 0; r < index.num_levels(); ++r) {
    const int level = index.top_level() - r;
    const auto& cand = step->levels[level];
    const float y = origin.y + r * (row_h + gap);
    char label[32];
    std::snprintf(label, sizeof label, "%s %s",
                  level == 0 ? "L0" : ("L" + std::to_string(level)).c_str(),
                  level == 0 ? "gists" : "meta");
    dl->AddText(ImVec2(origin.x, y + (row_h - ImGui::GetFontSize()) / 2), theme::gist_level(level),
                label);
    RowGeometry& g = geometry[r];
    g = {x0, x1, cand.candidates.size()};
    if (cand.candidates.empty()) {
      dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + row_h), theme::panel_background(), 3.0f);
      draw::centered_note(dl, ImVec2(x0, y), ImVec2(x1, y + row_h), "not scored at this level");
      continue;
    }
    const auto [lo, hi] = std::minmax_element(cand.scores.begin(), cand.scores.end());
    const float range = *hi > *lo ? *hi - *lo : 1.0f;
    const float cell_w = (x1 - x0) / g.n;
    for (size_t i = 0; i < g.n; ++i) {
      const float a = g.left(i), b = std::max(g.right(i) - (cell_w > 6 ? 1.0f : 0.0f), a + 1.0f);
      const float t = (cand.scores[i] - *lo) / range;
      dl->AddRectFilled(ImVec2(a, y), ImVec2(b, y + row_h), theme::score_colour(t),
                        cell_w > 6 ? 3.0f : 0.0f);
      if (cell_w > 46) {
        char text[32];
        std::snprintf(text, sizeof text, "%d", index.id(cand.candidates[i], level));
        dl->AddText(ImVec2(a + 4, y + 3),
                    t > 0.6f ? IM_COL32(20, 22, 28, 255) : IM_COL32(230, 233, 240, 255), text);
        std::snprintf(text, sizeof text, "%.2f", cand.scores[i]);
        dl->AddText(ImVec2(a + 4, y + row_h - ImGui::GetFontSize() - 3),
                    t > 0.6f ? IM_COL32(20, 22, 28, 200) : IM_COL32(200, 205, 215, 200), text);
      }
      if (mouse.x >= a && mouse.x < b && mouse.y >= y && mouse.y < y + row_h &&
          ImGui::IsWindowHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("%s %d at #%lld",
                    level == 0 ? "gist of chunk" : ("L" + std::to_string(level) + " group").c_str(),
                    index.id(cand.candidates[i], level),
                    static_cast<long long>(cand.candidates[i]));
        ImGui::Text("score %.4f%s", cand.scores[i],
                    step->is_chosen(level, cand.candidates[i]) ? "  (chosen)" : "");
        ImGui::EndTooltip();
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left))
          ctx.state.selected_chunk =
              index.span_of(index.spans(level)[index.id(cand.candidates[i], level)].begin, 0);
      }
    }
    // Chosen outlines drawn last so they sit above the neighbouring cells.
    for (size_t i = 0; i < g.n; ++i)
      if (step->is_chosen(level, cand.candidates[i]))
        dl->AddRect(ImVec2(g.left(i) - 1, y - 1),
                    ImVec2(std::max(g.right(i), g.left(i) + 2) + 1, y + row_h + 1),
                    theme::selected_path(), 3.0f, 0, 2.5f);
    // Connect each chosen candidate of the row above to the candidates it opened here.
    if (r > 0) {
      const int parent_level = level + 1;
      const auto& parents = step->levels[parent_level];
      const RowGeometry& pg = geometry[r - 1];
      const float py = y - gap;
      for (size_t pi = 0; pi < parents.candidates.size(); ++pi) {
        if (!step->is_chosen(parent_level, parents.candidates[pi])) continue;
        const int32_t group = index.id(parents.candidates[pi], parent_level);
        size_t first = g.n, last = 0;
        for (size_t i = 0; i < g.n; ++i)
          if (index.id(cand.candidates[i], parent_level) == group)
            first = std::min(first, i), last = i;
        if (first > last) continue;
        const float pa = pg.left(pi), pb = std::max(pg.right(pi), pa + 2);
        const ImVec2 poly[] = {ImVec2(pa, py), ImVec2(pb, py), ImVec2(g.right(last), y),
                               ImVec2(g.left(first), y)};
        dl->AddConvexPolyFilled(poly, 4, theme::with_alpha(theme::selected_path(), 0.18f));
        dl->AddLine(poly[0], poly[3], theme::with_alpha(theme::selected_path(), 0.7f));
        dl->AddLine(poly[1], poly[2], theme::with_alpha(theme::selected_path(), 0.7f));
      }
    }
  }

  // Last row: the unfolded chunks and their text.
  const float y = origin.y + index.num_levels() * (row_h + gap);
  dl->AddText(ImVec2(origin.x, y + (row_h - ImGui::GetFontSize()) / 2), theme::unfolded(),
              "chunks");
  const auto& unfolded = step->unfolded_chunks;
  if (unfolded.empty()) {
    draw::centered_note(dl, ImVec2(x0, y), ImVec2(x1, y + row_h), "no chunk unfolded");
    return;
  }
  const RowGeometry cg{x0, x1, unfolded.size()};
  const RowGeometry& g0 = geometry.back();
  const auto& gists = step->levels[0];
  ImGui::PushFont(theme::fonts().mono);
  for (size_t i = 0; i < unfolded.size(); ++i) {
    const Span& span = index.spans(0)[unfolded[i]];
    const float a = cg.left(i), b = std::max(cg.right(i) - 2, a + 2);
    const bool answer = std::binary_search(ctx.run->answer_chunks.begin(),
                                           ctx.run->answer_chunks.end(), unfolded[i]);
    dl->AddRectFilled(ImVec2(a, y), ImVec2(b, y + row_h),
                      theme::with_alpha(theme::unfolded(), 0.8f), 3.0f);
    if (answer) dl->AddRect(ImVec2(a, y), ImVec2(b, y + row_h), theme::answer(), 3.0f, 0, 2.5f);
    if (unfolded[i] == ctx.state.selected_chunk)
      dl->AddRect(ImVec2(a - 2, y - 2), ImVec2(b + 2, y + row_h + 2), theme::selected_path(), 3.0f,
                  0, 2.0f);
    if (b - a > 28) {
      std::string text;
      for (int64_t p = span.begin; p < span.gist; ++p) text += index.text(p);
      dl->PushClipRect(ImVec2(a + 3, y), ImVec2(b - 3, y + row_h), true);
      dl->AddText(ImVec2(a + 4, y + 3), IM_COL32(16, 30, 22, 255),
                  ((b - a > 90 ? "chunk " : "#") + std::to_string(unfolded[i])).c_str());
      dl->AddText(ImVec2(a + 4, y + row_h - ImGui::GetFontSize() - 3), IM_COL32(10, 20, 14, 255),
                  text.c_str());
      dl->PopClipRect();
    }
    // Joined to its gist in the level-0 row when that gist was a candidate.
    auto it = std::lower_bound(gists.candidates.begin(), gists.candidates.end(), span.gist);
    if (it != gists.candidates.end() && *it == span.gist) {
      const size_t gi = static_cast<size_t>(it - gists.candidates.begin());
      const float gx = (g0.left(gi) + std::max(g0.right(gi), g0.left(gi) + 2)) / 2;
      dl->AddLine(ImVec2(gx, y - gap), ImVec2((a + b) / 2, y),
                  theme::with_alpha(theme::selected_path(), 0.8f), 1.5f);
    }
  }
  ImGui::PopFont();
}

}  // namespace ssa::gui
