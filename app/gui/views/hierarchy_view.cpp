// Hierarchy view: the levels as an icicle for the current step. Each row is
// one level's scored candidates (top level first), coloured by score, the
// chosen ones outlined in the chosen colour and joined to the candidates
// they opened one level down; the last row shows the unfolded chunks with the
// start of their text. Labels are drawn only where they fit whole.
//
// [SECTION] geometry
// [SECTION] draw: the panel body
// [SECTION] level row: candidates, scores, choices
// [SECTION] connectors between levels
// [SECTION] chunk row: the unfolded chunks
// [SECTION] CSV
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/core/theme.h"
#include "app/gui/model/step_story.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

// --- [SECTION] geometry --------------------------------------------------------------

constexpr float kLabelWidth = 92.0f;
constexpr float kGap = 22.0f;  // room for the parent-child connectors

// x extent of cell i of n in a row [x0, x1].
struct RowGeometry {
  float x0 = 0, x1 = 0, y = 0, h = 0;
  size_t n = 0;
  float left(size_t i) const { return x0 + (x1 - x0) * i / std::max<size_t>(1, n); }
  float right(size_t i) const { return x0 + (x1 - x0) * (i + 1) / std::max<size_t>(1, n); }
};

std::string score_text(float s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", s);
  return text;
}

// --- [SECTION] level row: candidates, scores, choices --------------------------------------

void draw_level_row(ViewContext& ctx, ImDrawList* dl, const HeadStep& step, int level,
                    const RowGeometry& g) {
  const LayoutIndex& index = *ctx.layout;
  const auto& cand = step.levels[level];
  const char* name = level == 0 ? "L0 gists" : nullptr;
  const std::string meta = "L" + std::to_string(level) + " meta";
  dl->AddText(ImVec2(g.x0 - kLabelWidth, g.y + (g.h - ImGui::GetFontSize()) / 2),
              theme::gist_level(level), name ? name : meta.c_str());
  if (cand.candidates.empty()) {
    dl->AddRectFilled(ImVec2(g.x0, g.y), ImVec2(g.x1, g.y + g.h), theme::panel_background(), 3.0f);
    draw::centered_note(dl, ImVec2(g.x0, g.y), ImVec2(g.x1, g.y + g.h), "not scored at this level");
    return;
  }
  const float range = cand.hi > cand.lo ? cand.hi - cand.lo : 1.0f;
  const float cell_w = (g.x1 - g.x0) / static_cast<float>(g.n);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (size_t i = 0; i < g.n; ++i) {
    const float a = g.left(i), b = std::max(g.right(i) - (cell_w > 6 ? 1.0f : 0.0f), a + 1.0f);
    const float t = (cand.scores[i] - cand.lo) / range;
    dl->AddRectFilled(ImVec2(a, g.y), ImVec2(b, g.y + g.h), theme::score_colour(t),
                      cell_w > 6 ? 3.0f : 0.0f);
    const int32_t id = index.id(cand.candidates[i], level);
    const ImU32 ink = t > 0.55f ? theme::text_on_colour() : theme::text();
    draw::fitted_text(dl, ImVec2(a + 4, g.y + 3), ImVec2(b - 2, g.y + g.h), {std::to_string(id)},
                      ink);
    draw::fitted_text(dl, ImVec2(a + 4, g.y + g.h - ImGui::GetFontSize() - 3),
                      ImVec2(b - 2, g.y + g.h), {score_text(cand.scores[i])}, ink);
    if (mouse.x >= a && mouse.x < b && mouse.y >= g.y && mouse.y < g.y + g.h &&
        ImGui::IsWindowHovered()) {
      ImGui::BeginTooltip();
      ImGui::Text("%s %d, its gist at #%lld",
                  level == 0 ? "chunk" : ("level-" + std::to_string(level) + " group").c_str(), id,
                  static_cast<long long>(cand.candidates[i]));
      ImGui::Text("score %.4f (%.2f of the way from this step's lowest to its highest)",
                  cand.scores[i], t);
      ImGui::TextUnformatted(step.is_chosen(level, cand.candidates[i]) ? "chosen" : "not chosen");
      if (level == 0 && ctx.run->is_answer_chunk(id))
        ImGui::TextColored(theme::vec(theme::answer()), "holds the answer");
      draw::dim_text("click: select it in every view");
      ImGui::EndTooltip();
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
        const auto& spans = index.spans(level);
        if (id >= 0 && id < static_cast<int32_t>(spans.size()))
          ctx.state.selected_chunk = index.span_of(spans[id].begin, 0);
      }
    }
  }
  // Answer marks and chosen outlines last, so they sit above neighbouring cells.
  for (size_t i = 0; i < g.n; ++i) {
    const float a = g.left(i), b = std::max(g.right(i), a + 2);
    if (level == 0 && ctx.run->is_answer_chunk(index.id(cand.candidates[i], 0)))
      dl->AddRectFilled(ImVec2(a, g.y + g.h + 1), ImVec2(b, g.y + g.h + 5), theme::answer());
    if (step.is_chosen(level, cand.candidates[i]))
      dl->AddRect(ImVec2(a - 1, g.y - 1), ImVec2(b + 1, g.y + g.h + 1), theme::chosen(), 3.0f, 0,
                  2.5f);
  }
}

// --- [SECTION] connectors between levels ----------------------------------------------------

void draw_connectors(ViewContext& ctx, ImDrawList* dl, const HeadStep& step, int level,
                     const RowGeometry& parent, const RowGeometry& g) {
  const LayoutIndex& index = *ctx.layout;
  const int parent_level = level + 1;
  const auto& parents = step.levels[parent_level];
  const auto& cand = step.levels[level];
  for (size_t pi = 0; pi < parents.candidates.size(); ++pi) {
    if (!step.is_chosen(parent_level, parents.candidates[pi])) continue;
    const int32_t group = index.id(parents.candidates[pi], parent_level);
    size_t first = g.n, last = 0;
    for (size_t i = 0; i < g.n; ++i)
      if (index.id(cand.candidates[i], parent_level) == group) first = std::min(first, i), last = i;
    if (first > last) continue;
    const float pa = parent.left(pi), pb = std::max(parent.right(pi), pa + 2);
    const float py = parent.y + parent.h;
    const ImVec2 poly[] = {ImVec2(pa, py), ImVec2(pb, py), ImVec2(g.right(last), g.y),
                           ImVec2(g.left(first), g.y)};
    dl->AddConvexPolyFilled(poly, 4, theme::with_alpha(theme::chosen(), 0.16f));
    dl->AddLine(poly[0], poly[3], theme::with_alpha(theme::chosen(), 0.7f));
    dl->AddLine(poly[1], poly[2], theme::with_alpha(theme::chosen(), 0.7f));
  }
}

// --- [SECTION] chunk row: the unfolded chunks --------------------------------------------------

void draw_chunk_row(ViewContext& ctx, ImDrawList* dl, const HeadStep& step, const RowGeometry& g0,
                    const RowGeometry& g) {
  const LayoutIndex& index = *ctx.layout;
  dl->AddText(ImVec2(g.x0 - kLabelWidth, g.y + (g.h - ImGui::GetFontSize()) / 2), theme::chosen(),
              "unfolded");
  const auto& unfolded = step.unfolded_chunks;
  if (unfolded.empty()) {
    draw::centered_note(dl, ImVec2(g.x0, g.y), ImVec2(g.x1, g.y + g.h), "no chunk unfolded");
    return;
  }
  const auto& gists = step.levels[0];
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  ImGui::PushFont(theme::fonts().mono);
  for (size_t i = 0; i < g.n; ++i) {
    const int32_t chunk = unfolded[i];
    if (!index.valid_chunk(chunk)) continue;
    const Span& span = index.spans(0)[chunk];
    const float a = g.left(i), b = std::max(g.right(i) - 2, a + 2);
    const bool answer = ctx.run->is_answer_chunk(chunk);
    dl->AddRectFilled(ImVec2(a, g.y), ImVec2(b, g.y + g.h),
                      theme::with_alpha(theme::chosen(), 0.85f), 3.0f);
    if (answer)
      dl->AddRectFilled(ImVec2(a, g.y + g.h + 1), ImVec2(b, g.y + g.h + 5), theme::answer());
    if (chunk == ctx.state.selected_chunk)
      dl->AddRect(ImVec2(a - 2, g.y - 2), ImVec2(b + 2, g.y + g.h + 2), theme::cursor(), 3.0f, 0,
                  2.0f);
    const std::string text = index.text_of(span.begin, span.gist);
    draw::fitted_text(dl, ImVec2(a + 4, g.y + 3), ImVec2(b - 2, g.y + g.h),
                      {"chunk " + std::to_string(chunk), std::to_string(chunk)},
                      theme::text_on_colour());
    // The text, cut only at a whole token boundary that fits.
    for (int64_t stop = span.gist; stop > span.begin; --stop) {
      if (draw::fitted_text(dl, ImVec2(a + 4, g.y + g.h - ImGui::GetFontSize() - 3),
                            ImVec2(b - 2, g.y + g.h), {index.text_of(span.begin, stop)},
                            theme::text_on_colour()))
        break;
      if (span.gist - stop > 12) break;
    }
    // Joined to its gist in the level-0 row when that gist was a candidate.
    auto it = std::lower_bound(gists.candidates.begin(), gists.candidates.end(), span.gist);
    if (it != gists.candidates.end() && *it == span.gist) {
      const size_t gi = static_cast<size_t>(it - gists.candidates.begin());
      const float gx = (g0.left(gi) + std::max(g0.right(gi), g0.left(gi) + 2)) / 2;
      dl->AddLine(ImVec2(gx, g0.y + g0.h), ImVec2((a + b) / 2, g.y),
                  theme::with_alpha(theme::chosen(), 0.8f), 1.5f);
    }
    if (mouse.x >= a && mouse.x < b && mouse.y >= g.y && mouse.y < g.y + g.h &&
        ImGui::IsWindowHovered()) {
      ImGui::PopFont();
      ImGui::BeginTooltip();
      ImGui::Text("chunk %d (positions %lld-%lld)", chunk, static_cast<long long>(span.begin),
                  static_cast<long long>(span.gist));
      ImGui::PushFont(theme::fonts().mono);
      ImGui::Text("\"%s\"", text.c_str());
      ImGui::PopFont();
      const auto heads = step.heads_unfolding(chunk);
      ImGui::Text("unfolded by %s %s", heads.size() == 1 ? "head" : "heads",
                  id_list(heads, 16).c_str());
      if (answer) ImGui::TextColored(theme::vec(theme::answer()), "holds the answer");
      draw::dim_text("click: select it in every view");
      ImGui::EndTooltip();
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ctx.state.selected_chunk = chunk;
      ImGui::PushFont(theme::fonts().mono);
    }
  }
  ImGui::PopFont();
}

}  // namespace

// --- [SECTION] draw: the panel body ----------------------------------------------------------

std::string HierarchyView::subtitle(const ViewContext& ctx) const {
  const std::string s =
      "step " + std::to_string(ctx.state.step) + ", layer " + std::to_string(ctx.state.layer);
  return ctx.dense() ? s + " (dense)" : s;
}

void HierarchyView::draw(ViewContext& ctx) {
  const LayoutIndex& index = *ctx.layout;
  const HeadStep* step = ctx.step.get();
  // What each level chose, in words, above the picture (wrapped, never cut).
  if (step && step->recorded && !ctx.dense()) {
    ImGui::PushStyleColor(ImGuiCol_Text, theme::vec(theme::text_dim()));
    ImGui::TextWrapped("%s", describe_levels(index, *step).c_str());
    ImGui::PopStyleColor();
  }
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  ImGui::Dummy(avail);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end(origin.x + avail.x, origin.y + avail.y);
  if (!ctx.no_steps_note().empty()) {
    draw::centered_note(dl, origin, end, ctx.no_steps_note());
    return;
  }
  if (ctx.dense()) {
    draw::centered_note(dl, origin, end,
                        "layer " + std::to_string(ctx.state.layer) +
                            " is dense: it attends to its training-mask row and selects nothing");
    return;
  }
  if (!step) {
    draw::centered_note(dl, origin, end, "loading the step...");
    return;
  }
  if (!step->recorded) {
    draw::centered_note(dl, origin, end, "no scores recorded at this step and layer");
    return;
  }
  const int rows = index.num_levels() + 1;
  const float row_h = std::clamp((avail.y - kGap * (rows - 1) - 6) / rows, 8.0f, 150.0f);
  std::vector<RowGeometry> geometry(static_cast<size_t>(index.num_levels()));
  for (int r = 0; r < index.num_levels(); ++r) {
    const int level = index.top_level() - r;
    RowGeometry& g = geometry[static_cast<size_t>(r)];
    g = {origin.x + kLabelWidth, end.x - 4, origin.y + r * (row_h + kGap), row_h,
         step->levels[level].candidates.size()};
    draw_level_row(ctx, dl, *step, level, g);
    if (r > 0) draw_connectors(ctx, dl, *step, level, geometry[static_cast<size_t>(r - 1)], g);
  }
  const RowGeometry chunks{origin.x + kLabelWidth, end.x - 4,
                           origin.y + index.num_levels() * (row_h + kGap), row_h,
                           step->unfolded_chunks.size()};
  draw_chunk_row(ctx, dl, *step, geometry.back(), chunks);
}

// --- [SECTION] CSV ---------------------------------------------------------------------------

void HierarchyView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  out << "step,layer,head,level,gist_position,id,score,chosen,answer\n";
  if (!ctx.step || !ctx.layout) return;
  const HeadStep& s = *ctx.step;
  for (size_t level = 0; level < s.levels.size(); ++level) {
    const auto& l = s.levels[level];
    for (size_t i = 0; i < l.candidates.size(); ++i) {
      const int32_t id = ctx.layout->id(l.candidates[i], static_cast<int>(level));
      out << s.step << "," << s.layer << "," << s.head << "," << level << "," << l.candidates[i]
          << "," << id << "," << l.scores[i] << ","
          << s.is_chosen(static_cast<int>(level), l.candidates[i]) << ","
          << (level == 0 && ctx.run->is_answer_chunk(id)) << "\n";
    }
  }
}

}  // namespace ssa::gui
