// Compare view: the current run against a second one (same prompt, e.g. SSA
// k=4 vs full attention, or two k values), steps aligned. For the current
// step, one row of chunks per run: green where both unfolded a chunk, blue or
// orange where only one did; below, the overlap of their choices over steps
// and the text each generated.
#include <imgui.h>

#include <algorithm>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

void CompareView::draw(ViewContext& ctx) {
  UiState& s = ctx.state;
  draw::title("Compare", "choices of two runs, steps aligned");
  ImGui::SetNextItemWidth(260);
  const RunData* other = s.compare_run >= 0 ? ctx.model.run(s.compare_run) : nullptr;
  if (ImGui::BeginCombo("second run", other ? other->info.name.c_str() : "(choose)")) {
    for (const auto& info : ctx.model.runs())
      if (info.id != s.run_id && ImGui::Selectable(info.name.c_str(), info.id == s.compare_run))
        s.compare_run = info.id;
    ImGui::EndCombo();
  }
  if (!other) {
    ImGui::TextColored(
        ImGui::ColorConvertU32ToFloat4(theme::text_dim()),
        "This recording holds one run; record a second (e.g. full attention) to compare.");
    return;
  }
  draw::swatch(theme::unfolded(), "both");
  ImGui::SameLine();
  draw::swatch(theme::compare_a(), ("only " + ctx.run->info.name).c_str());
  ImGui::SameLine();
  draw::swatch(theme::compare_b(), ("only " + other->info.name).c_str());

  const LayoutIndex& index = ctx.run->index;
  const int64_t chunks = std::max<int64_t>(1, index.num_chunks());
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float label_w = 150.0f, row_h = 26.0f;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  auto step = ctx.model.compare_step(s.run_id, s.compare_run, s.step);
  const float x0 = origin.x + label_w, x1 = origin.x + width;
  auto chunk_x = [&](int64_t c) { return x0 + (x1 - x0) * static_cast<float>(c) / chunks; };
  const std::string names[2] = {ctx.run->info.name, other->info.name};
  for (int row = 0; row < 2; ++row) {
    const float y = origin.y + row * (row_h + 6);
    dl->AddText(ImVec2(origin.x, y + (row_h - ImGui::GetFontSize()) / 2), theme::text_dim(),
                names[row].c_str());
    dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + row_h), theme::panel_background(), 3.0f);
    // A run without recorded choices (the full-attention baseline) reads everything.
    const RunData* row_run = row == 0 ? ctx.run : other;
    if (row_run->detail_steps.count == 0) {
      dl->AddRectFilled(ImVec2(x0, y + 2), ImVec2(x1, y + row_h - 2),
                        theme::with_alpha(theme::suffix(), 0.25f));
      draw::centered_note(dl, ImVec2(x0, y), ImVec2(x1, y + row_h),
                          "no choices recorded: attends every position");
      continue;
    }
    if (!step) continue;
    const auto& mine = row == 0 ? step->a : step->b;
    const auto& theirs = row == 0 ? step->b : step->a;
    for (int32_t c : mine) {
      const bool both = std::binary_search(theirs.begin(), theirs.end(), c);
      const ImU32 colour = both       ? theme::unfolded()
                           : row == 0 ? theme::compare_a()
                                      : theme::compare_b();
      dl->AddRectFilled(ImVec2(chunk_x(c), y + 2),
                        ImVec2(std::max(chunk_x(c + 1), chunk_x(c) + 2.0f), y + row_h - 2), colour);
    }
    for (int32_t c : ctx.run->answer_chunks)
      dl->AddRect(ImVec2(chunk_x(c) - 1, y),
                  ImVec2(std::max(chunk_x(c + 1), chunk_x(c) + 2.0f) + 1, y + row_h),
                  theme::answer(), 0, 0, 1.5f);
  }
  ImGui::Dummy(ImVec2(width, 2 * row_h + 12));
  if (step && ctx.run->detail_steps.count > 0 && other->detail_steps.count > 0) {
    std::vector<int32_t> both, only_a, only_b;
    std::set_intersection(step->a.begin(), step->a.end(), step->b.begin(), step->b.end(),
                          std::back_inserter(both));
    std::set_difference(step->a.begin(), step->a.end(), step->b.begin(), step->b.end(),
                        std::back_inserter(only_a));
    std::set_difference(step->b.begin(), step->b.end(), step->a.begin(), step->a.end(),
                        std::back_inserter(only_b));
    ImGui::Text("step %lld: %zu chunks in common, %zu only in %s, %zu only in %s",
                static_cast<long long>(s.step), both.size(), only_a.size(), names[0].c_str(),
                only_b.size(), names[1].c_str());
  }

  // Overlap over the steps.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float plot_h = std::max(90.0f, avail.y * 0.5f);
  const ImVec2 pa = ImGui::GetCursorScreenPos(), pb(pa.x + avail.x, pa.y + plot_h);
  ImGui::Dummy(ImVec2(avail.x, plot_h));
  auto series = ctx.model.compare(s.run_id, s.compare_run);
  std::vector<double> xs, ys;
  if (series)
    for (size_t i = 0; i < series->steps.size(); ++i)
      xs.push_back(static_cast<double>(series->steps[i])), ys.push_back(series->jaccard[i]);
  const bool both_chose = ctx.run->detail_steps.count > 0 && other->detail_steps.count > 0;
  const auto r = draw::line_plot(dl, pa, pb, xs, ys, theme::unfolded(),
                                 both_chose ? "overlap of unfolded chunks (Jaccard) per step"
                                            : "overlap per step: needs choices from both runs");
  if (!xs.empty()) r.marker(dl, static_cast<double>(s.step), IM_COL32(255, 255, 255, 140));

  // What each run generated up to this step.
  const RunData* runs[2] = {ctx.run, other};
  if (ImGui::BeginTable("generated", 2,
                        ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchSame)) {
    for (int i = 0; i < 2; ++i) ImGui::TableSetupColumn(names[i].c_str());
    ImGui::TableHeadersRow();
    ImGui::TableNextRow();
    for (int i = 0; i < 2; ++i) {
      ImGui::TableSetColumnIndex(i);
      std::string text;
      for (const auto& d : runs[i]->decode_steps) {
        if (d.step > s.step) break;
        text += d.text;
      }
      ImGui::PushFont(theme::fonts().mono);
      ImGui::TextWrapped("%s", text.empty() ? "(nothing generated yet)" : text.c_str());
      ImGui::PopFont();
    }
    ImGui::EndTable();
  }
}

}  // namespace ssa::gui
