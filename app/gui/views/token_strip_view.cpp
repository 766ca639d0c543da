// Token strip: the prompt as wrapped text, then what the run generated up to
// the current step (never beyond it: step 0 shows only step 0's token).
// Gists are small markers that close their chunk; at the current step the
// unfolded chunks are tinted in the chosen colour, every other scored chunk
// by its score; the answer's chunk is underlined, the selected chunk
// outlined; a click selects a chunk in every view. Lines are laid out once
// per width and drawn through a clipper, so 128K tokens cost only what shows.
//
// [SECTION] layout: wrapping the prompt into lines
// [SECTION] draw: the panel body
// [SECTION] tints: the current step's scores per chunk
// [SECTION] line: one line of tokens
// [SECTION] generated: the tokens produced up to the current step
// [SECTION] tooltip and click
// [SECTION] CSV
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

constexpr float kMarkerPad = 3.0f;

float line_height() {
  return theme::fonts().mono->FontSize + 8.0f;
}

}  // namespace

// --- [SECTION] layout: wrapping the prompt into lines ----------------------------------------

void TokenStripView::lay_out(const LayoutIndex& index, int64_t end, float width) {
  laid_layout_ = &index;
  laid_width_ = width;
  laid_end_ = end;
  line_begin_.assign(1, 0);
  token_x_.assign(static_cast<size_t>(end), 0);
  token_w_.assign(static_cast<size_t>(end), 0);
  ImFont* font = theme::fonts().mono;
  const float size = font->FontSize;
  float x = 0;
  for (int64_t pos = 0; pos < end; ++pos) {
    const auto text = index.text(pos);
    float w = font->CalcTextSizeA(size, FLT_MAX, 0, text.data(), text.data() + text.size()).x;
    if (index.role(pos) > 0) w += 2 * kMarkerPad + 2;  // marker pill and a gap
    const bool newline = index.role(pos) == 0 && text == "\xE2\x86\xB5";
    if (x + w > width && x > 0) {
      line_begin_.push_back(pos);
      x = 0;
    }
    token_x_[pos] = x;
    token_w_[pos] = w;
    x += w;
    if (newline && pos + 1 < end) {  // keep the text's own line breaks
      line_begin_.push_back(pos + 1);
      x = 0;
    }
  }
}

// --- [SECTION] draw: the panel body ---------------------------------------------------------

std::string TokenStripView::subtitle(const ViewContext& ctx) const {
  if (!ctx.layout) return "";
  std::string s = std::to_string(ctx.layout->num_chunks()) + " chunks";
  if (ctx.dense())
    s += " · layer " + std::to_string(ctx.state.layer) + " is dense (no selection)";
  else if (ctx.step && ctx.step->recorded)
    s += " · " + std::to_string(ctx.step->unfolded_chunks.size()) + " unfolded at step " +
         std::to_string(ctx.state.step);
  if (ctx.layout->valid_chunk(ctx.state.selected_chunk))
    s += " · selected chunk " + std::to_string(ctx.state.selected_chunk);
  return s;
}

void TokenStripView::draw(ViewContext& ctx) {
  const LayoutIndex& index = *ctx.layout;
  const int64_t end = std::clamp<int64_t>(ctx.run->prompt_length, 0, index.length());
  // Pinned above the prompt: the question and what was generated so far.
  ImGui::PushFont(theme::fonts().mono);
  draw_generated(ctx, ImGui::GetContentRegionAvail().x);
  ImGui::PopFont();
  ImGui::PushStyleColor(ImGuiCol_ChildBg, theme::vec(theme::panel_background()));
  ImGui::BeginChild("strip", ImVec2(0, 0), false);
  const float width = ImGui::GetContentRegionAvail().x - 4.0f;
  if (laid_layout_ != &index || std::abs(laid_width_ - width) > 0.5f || laid_end_ != end)
    lay_out(index, end, width);
  const std::vector<float> tints = chunk_tints(ctx);

  // Another view selected a chunk (or the search found a position): bring it into sight.
  const int32_t selected = ctx.state.selected_chunk;
  if (selected != last_selected_) {
    last_selected_ = selected;
    if (index.valid_chunk(selected)) scroll_to(index.spans(0)[selected].begin);
  }
  const float line_h = line_height();
  if (scroll_frames_ > 0 && scroll_to_ >= 0) {
    const auto line = std::upper_bound(line_begin_.begin(), line_begin_.end(), scroll_to_) -
                      line_begin_.begin() - 1;
    ImGui::SetScrollY(std::max(0.0f, line * line_h - ImGui::GetWindowHeight() / 3));
    --scroll_frames_;
  }

  ImGui::PushFont(theme::fonts().mono);
  int64_t hovered = -1;
  // Lines touch (no item spacing) so that the clipper's arithmetic holds.
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(ImGui::GetStyle().ItemSpacing.x, 0));
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(line_begin_.size()), line_h);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  while (clipper.Step())
    for (int line = clipper.DisplayStart; line < clipper.DisplayEnd; ++line)
      draw_line(ctx, dl, line, tints, &hovered);
  ImGui::PopStyleVar();
  ImGui::PopFont();
  draw_tooltip(ctx, hovered, tints);
  ImGui::EndChild();
  ImGui::PopStyleColor();
}

// --- [SECTION] tints: the current step's scores per chunk ---------------------------------------

std::vector<float> TokenStripView::chunk_tints(const ViewContext& ctx) const {
  // -1: not scored; else the score normalised to the step's range at level 0.
  std::vector<float> tints(static_cast<size_t>(ctx.layout->num_chunks()), -1.0f);
  if (!ctx.step || !ctx.step->recorded || ctx.step->levels.empty() || ctx.dense()) return tints;
  const auto& level = ctx.step->levels[0];
  const float range = level.hi > level.lo ? level.hi - level.lo : 1.0f;
  for (size_t i = 0; i < level.candidates.size(); ++i) {
    const int32_t chunk = ctx.layout->span_of(level.candidates[i], 0);
    if (chunk >= 0) tints[static_cast<size_t>(chunk)] = (level.scores[i] - level.lo) / range;
  }
  return tints;
}

// --- [SECTION] line: one line of tokens -------------------------------------------------------

void TokenStripView::draw_line(ViewContext& ctx, ImDrawList* dl, int line,
                               const std::vector<float>& tints, int64_t* hovered) {
  const LayoutIndex& index = *ctx.layout;
  const float line_h = line_height();
  const ImVec2 base = ImGui::GetCursorScreenPos();
  const int64_t first = line_begin_[line];
  const int64_t last =
      line + 1 < static_cast<int>(line_begin_.size()) ? line_begin_[line + 1] : laid_end_;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const bool hover_window = ImGui::IsWindowHovered();
  const bool dense = ctx.dense();
  for (int64_t pos = first; pos < last; ++pos) {
    const ImVec2 a(base.x + token_x_[pos], base.y + 2);
    const ImVec2 b(a.x + token_w_[pos], base.y + line_h - 2);
    const int role = index.role(pos);
    const int32_t chunk = index.span_of(pos, 0);
    const bool unfolded = !dense && chunk >= 0 && ctx.step && ctx.step->is_unfolded(chunk);
    if (unfolded) {
      dl->AddRectFilled(a, b, theme::with_alpha(theme::chosen(), 0.45f));
    } else if (chunk >= 0 && tints[static_cast<size_t>(chunk)] >= 0) {
      const float t = tints[static_cast<size_t>(chunk)];
      dl->AddRectFilled(a, b, theme::with_alpha(theme::score_colour(t), 0.25f + 0.45f * t));
    }
    if (pos < index.sink_length()) dl->AddLine(ImVec2(a.x, b.y), b, theme::sink(), 2.0f);
    if (chunk >= 0 && ctx.run->is_answer_chunk(chunk))
      dl->AddRectFilled(ImVec2(a.x, b.y - 3), ImVec2(b.x, b.y + 1), theme::answer());
    const auto text = index.text(pos);
    if (role > 0) {
      const ImVec2 pa(a.x + 1, a.y + 1), pb(b.x - 1, b.y - 1);
      dl->AddRectFilled(pa, pb, theme::gist_level(role - 1), 4.0f);
      if (!dense && ctx.step && ctx.step->is_chosen(role - 1, pos))
        dl->AddRect(ImVec2(pa.x - 1, pa.y - 1), ImVec2(pb.x + 1, pb.y + 1), theme::chosen(), 4.0f,
                    0, 2.5f);
      dl->AddText(ImVec2(pa.x + kMarkerPad, base.y + 4), theme::text_on_colour(), text.data(),
                  text.data() + text.size());
    } else {
      const ImU32 colour = pos >= index.prefix_length() ? theme::question() : theme::text();
      dl->AddText(ImVec2(a.x, base.y + 4), colour, text.data(), text.data() + text.size());
    }
    if (hover_window && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y)
      *hovered = pos;
  }
  // The cursor: the selected chunk's part of this line, outlined.
  const int32_t selected = ctx.state.selected_chunk;
  if (index.valid_chunk(selected)) {
    const Span& span = index.spans(0)[selected];
    const int64_t s0 = std::max(first, span.begin), s1 = std::min(last - 1, span.gist);
    if (s0 <= s1)
      dl->AddRect(ImVec2(base.x + token_x_[s0] - 1, base.y + 1),
                  ImVec2(base.x + token_x_[s1] + token_w_[s1] + 1, base.y + line_h - 1),
                  theme::cursor(), 3.0f, 0, 2.0f);
  }
  ImGui::Dummy(ImVec2(laid_width_, line_h));
}

// --- [SECTION] generated: the tokens produced up to the current step ----------------------------

void TokenStripView::draw_generated(ViewContext& ctx, float width) {
  const RunData& run = *ctx.run;
  const LayoutIndex& index = *ctx.layout;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImFont* font = theme::fonts().mono;
  const float line_h = line_height();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  float x = p0.x, y = p0.y;
  int lines = 1;
  // Words (or tokens) laid left to right, wrapping at `width`, two lines at most.
  auto put = [&](const std::string& text, ImU32 colour, ImU32 box, bool outline) {
    const float w =
        font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, text.c_str()).x + (box ? 6.0f : 0.0f);
    if (x + w > p0.x + width && x > p0.x) {
      if (lines == 2) return false;
      x = p0.x, y += line_h, ++lines;
    }
    const ImVec2 a(x, y + 2), b(x + w, y + line_h - 2);
    if (box) dl->AddRectFilled(a, b, box, 3.0f);
    if (outline) dl->AddRect(a, b, theme::cursor(), 3.0f, 0, 1.5f);
    dl->AddText(ImVec2(x + (box ? 3.0f : 0.0f), y + 4), colour, text.c_str());
    x += w + (box ? 2.0f : 0.0f);
    return true;
  };
  ImGui::PushFont(theme::fonts().ui);
  const float label_w = ImGui::CalcTextSize("question ").x;
  ImGui::PopFont();
  dl->AddText(theme::fonts().ui, theme::fonts().ui->FontSize, ImVec2(x, y + 4), theme::text_dim(),
              "question");
  x += label_w + 4;
  const std::string question =
      index.text_of(index.prefix_length(), std::min(run.prompt_length, index.length()));
  put(question.empty() ? "(none)" : question, theme::question(), 0, false);
  x += 12;
  if (!run.decode_steps.empty()) {
    const std::string label = "generated up to step " + std::to_string(ctx.state.step);
    const float w = ImGui::CalcTextSize(label.c_str()).x + 6;
    if (x + w > p0.x + width && lines < 2) x = p0.x, y += line_h, ++lines;
    dl->AddText(theme::fonts().ui, theme::fonts().ui->FontSize, ImVec2(x, y + 4), theme::text_dim(),
                label.c_str());
    x += w;
    for (const auto& d : run.decode_steps) {
      if (d.step > ctx.state.step) break;  // never the future
      std::string text;
      for (char c : d.text) text += c == '\n' ? std::string("\xE2\x86\xB5") : std::string(1, c);
      if (!put(text, theme::generated(), theme::with_alpha(theme::generated(), 0.18f),
               d.step == ctx.state.step))
        break;
    }
  }
  ImGui::Dummy(ImVec2(width, lines * line_h + 2));
}

// --- [SECTION] tooltip and click --------------------------------------------------------------

void TokenStripView::draw_tooltip(ViewContext& ctx, int64_t hovered,
                                  const std::vector<float>& tints) {
  if (hovered < 0) return;
  const LayoutIndex& index = *ctx.layout;
  const int32_t chunk = index.span_of(hovered, 0);
  ImGui::BeginTooltip();
  const std::string text(index.text(hovered));
  ImGui::Text("#%lld %s \"%s\"", static_cast<long long>(hovered),
              LayoutIndex::role_name(index.role(hovered)).c_str(), text.c_str());
  if (chunk >= 0) {
    const auto [r0, r1] = index.raw_range(chunk);
    ImGui::Text("chunk %d (raw tokens %lld-%lld)", chunk, static_cast<long long>(r0),
                static_cast<long long>(r1));
    if (ctx.run->is_answer_chunk(chunk))
      ImGui::TextColored(theme::vec(theme::answer()), "holds the answer");
    if (tints[static_cast<size_t>(chunk)] >= 0)
      ImGui::Text("score at this step, normalised to the step's range: %.2f",
                  tints[static_cast<size_t>(chunk)]);
    if (ctx.unfolds)
      ImGui::Text("unfolded at this step by %d of %d layers",
                  __builtin_popcountll(ctx.unfolds->layers_of(chunk)), ctx.run->num_layers);
  } else {
    ImGui::TextUnformatted(hovered < index.sink_length() ? "attention sink"
                                                         : "the question (after the prefix)");
  }
  draw::dim_text("click: select the chunk in every view");
  ImGui::EndTooltip();
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Left) && chunk >= 0) {
    ctx.state.selected_chunk = chunk;
    last_selected_ = chunk;  // it is already in sight
  }
}

// --- [SECTION] CSV -------------------------------------------------------------------------

void TokenStripView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  if (!ctx.layout) return;
  const LayoutIndex& index = *ctx.layout;
  const std::vector<float> tints = chunk_tints(ctx);
  out << "position,role,chunk,text,answer_chunk,unfolded,score_normalised\n";
  auto quote = [](std::string_view s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (int64_t pos = 0; pos < std::min(ctx.run->prompt_length, index.length()); ++pos) {
    const int32_t chunk = index.span_of(pos, 0);
    out << pos << "," << LayoutIndex::role_name(index.role(pos)) << "," << chunk << ","
        << quote(index.text(pos)) << "," << (chunk >= 0 && ctx.run->is_answer_chunk(chunk)) << ","
        << (chunk >= 0 && ctx.step && !ctx.dense() && ctx.step->is_unfolded(chunk)) << ",";
    if (chunk >= 0 && tints[static_cast<size_t>(chunk)] >= 0)
      out << tints[static_cast<size_t>(chunk)];
    out << "\n";
  }
  out << "# generated up to step " << ctx.state.step << "\nstep,text\n";
  for (const auto& d : ctx.run->decode_steps) {
    if (d.step > ctx.state.step) break;
    out << d.step << "," << quote(d.text) << "\n";
  }
}

}  // namespace ssa::gui
