// The search box in the menu bar: text, "#123" (a stream position) or
// "chunk 352"; Enter or F3 goes to the next match, which the workbench then
// selects in every view. Ctrl+F focuses the box.
#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

const SearchHit* SearchBox::draw(ViewContext& ctx, float width) {
  if (!ctx.layout) return nullptr;
  if (ctx.state.focus_search || ctx.keys.pressed(Key::kCtrlF)) {
    ImGui::SetKeyboardFocusHere();
    ctx.state.focus_search = false;
  }
  ImGui::SetNextItemWidth(width);
  ImGui::InputTextWithHint("##search", "search: text, #position, chunk N", query_, sizeof query_);
  const bool active = ImGui::IsItemActive();
  const bool enter = ImGui::IsItemDeactivated() && ctx.keys.pressed(Key::kEnter);
  if (ImGui::IsItemHovered() && !active) {
    ImGui::BeginTooltip();
    ImGui::TextUnformatted(
        "Ctrl+F: search the prompt for text, a position (#123) or a chunk (chunk 352)");
    ImGui::TextUnformatted("Enter or F3: the next match");
    ImGui::EndTooltip();
  }
  // Searched again when the query or the layout changes.
  if (searched_ != query_ || searched_layout_ != ctx.layout) {
    searched_ = query_;
    searched_layout_ = ctx.layout;
    result_ = search_layout(*ctx.layout, searched_);
    current_ = 0;
  }
  const SearchHit* go = nullptr;
  if ((enter || ctx.keys.pressed(Key::kF3)) && !result_.hits.empty()) {
    go = &result_.hits[current_ % result_.hits.size()];
    ++current_;
  }
  if (!searched_.empty()) {
    ImGui::SameLine();
    if (!result_.error.empty())
      ImGui::TextColored(theme::vec(theme::error()), "%s", result_.error.c_str());
    else if (result_.kind == SearchResult::Kind::kText)
      ImGui::TextColored(
          theme::vec(theme::text_dim()), "%zu of %zu%s",
          result_.hits.empty() ? 0 : (current_ == 0 ? 0 : (current_ - 1) % result_.hits.size() + 1),
          result_.hits.size(), result_.truncated ? "+" : "");
  }
  return go;
}

}  // namespace ssa::gui
