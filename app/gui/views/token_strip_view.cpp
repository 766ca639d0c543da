// Token strip: the context as wrapped text. Gists are drawn as small coloured
// markers that close their chunk; at the current step unfolded chunks are
// green, every scored chunk is tinted by its score, the selected chunk is
// outlined, and a click selects a chunk in every view. Lines are laid out once
// per width and drawn through a clipper, so 128K tokens cost only what shows.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

constexpr float kMarkerPad = 3.0f;

}  // namespace

void TokenStripView::lay_out(const RunData& run, float width) {
  const LayoutIndex& index = run.index;
  laid_run_ = &run;
  laid_width_ = width;
  line_begin_.assign(1, 0);
  token_x_.resize(index.length());
  token_w_.resize(index.length());
  ImFont* font = theme::fonts().mono;
  const float size = font->FontSize;
  float x = 0;
  for (int64_t pos = 0; pos < index.length(); ++pos) {
    const std::string& text = index.text(pos);
    float w = font->CalcTextSizeA(size, FLT_MAX, 0, text.c_str()).x;
    if (index.role(pos) > 0) w += 2 * kMarkerPad + 2;  // marker pill and a gap
    const bool newline = index.role(pos) == 0 && text == "\xE2\x86\xB5";
    if (x + w > width && x > 0) {
      line_begin_.push_back(pos);
      x = 0;
    }
    token_x_[pos] = x;
    token_w_[pos] = w;
    x += w;
    if (newline && pos + 1 < index.length()) {  // keep the text's own line breaks
      line_begin_.push_back(pos + 1);
      x = 0;
    }
  }
}

void TokenStripView::draw(ViewContext& ctx) {
  const RunData& run = *ctx.run;
  const LayoutIndex& index = run.index;
  std::string subtitle = std::to_string(index.num_chunks()) + " chunks";
  if (ctx.step && ctx.step->recorded)
    subtitle += " · " + std::to_string(ctx.step->unfolded_chunks.size()) + " unfolded at step " +
                std::to_string(ctx.state.step);
  if (ctx.state.selected_chunk >= 0)
    subtitle += " · selected chunk " + std::to_string(ctx.state.selected_chunk);
  draw::title("Token strip", subtitle);
  draw::swatch(theme::unfolded(), "unfolded");
  ImGui::SameLine();
  draw::swatch(theme::score_colour(0.8f), "score tint");
  ImGui::SameLine();
  draw::swatch(theme::sink(), "sink");
  ImGui::SameLine();
  draw::swatch(theme::answer(), "answer");
  ImGui::SameLine();
  draw::swatch(theme::suffix(), "suffix / generated");

  ImGui::PushStyleColor(ImGuiCol_ChildBg,
                        ImGui::ColorConvertU32ToFloat4(theme::panel_background()));
  ImGui::BeginChild("strip", ImVec2(0, 0), false);
  const float width = ImGui::GetContentRegionAvail().x - 4.0f;
  if (laid_run_ != &run || std::abs(laid_width_ - width) > 0.5f) lay_out(run, width);

  // Per-chunk tint from the current step's level-0 scores (normalised to the step's range).
  std::unordered_map<int32_t, float> chunk_score;
  if (ctx.step && ctx.step->recorded && !ctx.step->levels.empty()) {
    const auto& level = ctx.step->levels[0];
    if (!level.scores.empty()) {
      const auto [lo, hi] = std::minmax_element(level.scores.begin(), level.scores.end());
      const float range = *hi > *lo ? *hi - *lo : 1.0f;
      for (size_t i = 0; i < level.candidates.size(); ++i)
        chunk_score[index.span_of(level.candidates[i], 0)] = (level.scores[i] - *lo) / range;
    }
  }

  ImFont* font = theme::fonts().mono;
  ImGui::PushFont(font);
  const float line_h = font->FontSize + 8.0f;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int32_t selected = ctx.state.selected_chunk;
  if (selected != last_scrolled_chunk_) {
    scroll_frames_ = 3;  // ImGui clamps a scroll to last frame's content: retry a few frames
    last_scrolled_chunk_ = selected;
  }
  if (scroll_frames_ > 0 && selected >= 0 && selected < index.num_chunks()) {
    // Another view selected a chunk: bring it into sight.
    const int64_t pos = index.spans(0)[selected].begin;
    const auto line =
        std::upper_bound(line_begin_.begin(), line_begin_.end(), pos) - line_begin_.begin() - 1;
    ImGui::SetScrollY(std::max(0.0f, line * line_h - ImGui::GetWindowHeight() / 3));
    --scroll_frames_;
  }

  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const bool hovered_window = ImGui::IsWindowHovered();
  int64_t hovered = -1;
  // Lines touch (no item spacing) so that the clipper's arithmetic holds.
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(ImGui::GetStyle().ItemSpacing.x, 0));
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(line_begin_.size()), line_h);
  while (clipper.Step()) {
    for (int line = clipper.DisplayStart; line < clipper.DisplayEnd; ++line) {
      const ImVec2 base = ImGui::GetCursorScreenPos();
      const int64_t first = line_begin_[line];
      const int64_t last =
          line + 1 < static_cast<int>(line_begin_.size()) ? line_begin_[line + 1] : index.length();
      for (int64_t pos = first; pos < last; ++pos) {
        const ImVec2 a(base.x + token_x_[pos], base.y + 2);
        const ImVec2 b(a.x + token_w_[pos], base.y + line_h - 2);
        const int role = index.role(pos);
        const int32_t chunk = index.span_of(pos, 0);
        const bool unfolded = chunk >= 0 && ctx.step && ctx.step->is_unfolded(chunk);
        if (unfolded) {
          dl->AddRectFilled(a, b, theme::with_alpha(theme::unfolded(), 0.55f));
        } else if (auto it = chunk_score.find(chunk); it != chunk_score.end()) {
          dl->AddRectFilled(
              a, b, theme::with_alpha(theme::score_colour(it->second), 0.15f + 0.5f * it->second));
        }
        if (pos < index.sink_length()) dl->AddLine(ImVec2(a.x, b.y), b, theme::sink(), 2.0f);
        if (chunk >= 0 &&
            std::binary_search(run.answer_chunks.begin(), run.answer_chunks.end(), chunk))
          dl->AddLine(ImVec2(a.x, b.y - 1), ImVec2(b.x, b.y - 1), theme::answer(), 2.0f);
        if (role > 0) {
          const ImVec2 pa(a.x + 1, a.y + 1), pb(b.x - 1, b.y - 1);
          const bool chosen = ctx.step && ctx.step->is_chosen(role - 1, pos);
          dl->AddRectFilled(pa, pb, theme::gist_level(role - 1), 4.0f);
          if (chosen) dl->AddRect(pa, pb, theme::selected_path(), 4.0f, 0, 2.0f);
          dl->AddText(ImVec2(pa.x + kMarkerPad, base.y + 4), IM_COL32(20, 22, 28, 255),
                      index.text(pos).c_str());
        } else {
          const ImU32 colour =
              pos >= index.prefix_length() ? theme::suffix() : IM_COL32(222, 226, 234, 255);
          dl->AddText(ImVec2(a.x, base.y + 4), colour, index.text(pos).c_str());
        }
        if (hovered_window && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y)
          hovered = pos;
      }
      // The selected chunk: outline its part of this line.
      if (selected >= 0 && selected < index.num_chunks()) {
        const Span& span = index.spans(0)[selected];
        const int64_t s0 = std::max(first, span.begin), s1 = std::min(last - 1, span.gist);
        if (s0 <= s1)
          dl->AddRect(ImVec2(base.x + token_x_[s0] - 1, base.y + 1),
                      ImVec2(base.x + token_x_[s1] + token_w_[s1] + 1, base.y + line_h - 1),
                      theme::selected_path(), 3.0f, 0, 2.0f);
      }
      ImGui::Dummy(ImVec2(width, line_h));
    }
  }
  ImGui::PopStyleVar();
  // Generated text up to the current step, after the context.
  if (!run.decode_steps.empty()) {
    std::string generated;
    for (const auto& s : run.decode_steps) {
      if (s.step > ctx.state.step) break;
      generated += s.text;
    }
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(theme::suffix()));
    ImGui::PushTextWrapPos(width);
    ImGui::TextUnformatted(("\xE2\x96\xB8 generated: " + generated).c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
  }
  ImGui::PopFont();
  if (hovered >= 0) {
    const int32_t chunk = index.span_of(hovered, 0);
    ImGui::BeginTooltip();
    ImGui::Text("#%lld %s \"%s\"", static_cast<long long>(hovered),
                LayoutIndex::role_name(index.role(hovered)).c_str(), index.text(hovered).c_str());
    if (chunk >= 0) {
      ImGui::Text("chunk %d", chunk);
      if (auto it = chunk_score.find(chunk); it != chunk_score.end())
        ImGui::Text("score (normalised at this step) %.2f", it->second);
      if (ctx.unfolds)
        ImGui::Text("unfolded by %d layer(s)", __builtin_popcountll(ctx.unfolds->layers_of(chunk)));
    } else {
      ImGui::TextUnformatted(hovered < index.sink_length() ? "attention sink" : "suffix");
    }
    ImGui::EndTooltip();
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left) && chunk >= 0) {
      ctx.state.selected_chunk = chunk;
      last_scrolled_chunk_ = chunk;  // it is already in sight
    }
  }
  ImGui::EndChild();
  ImGui::PopStyleColor();
}

}  // namespace ssa::gui
