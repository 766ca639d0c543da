// The help overlay (F1 or ?): every key and mouse action, and the legend.
// Escape or the close box closes it.
#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

void row(const char* keys, const char* what) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextColored(theme::vec(theme::text()), "%s", keys);
  ImGui::TableNextColumn();
  ImGui::TextColored(theme::vec(theme::text_dim()), "%s", what);
}

}  // namespace

void draw_help(bool* open, KeyQueue& keys, int levels) {
  if (!draw::begin_dialog("Help", open, keys, ImVec2(820, 0))) return;
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
    row("Space", "play / pause");
    row("Left / Right", "one step back / on (held: repeats)");
    row("Page Up / Down", "ten steps");
    row("Home / End", "first / last step");
    row("1 ... 7",
        "maximise a view: mask, token strip, hierarchy, score timeline, compare, costs, bookmarks");
    row("8 / 9", "the Evaluation page / the demos (the first screen)");
    row("0 or Escape", "back to the workbench (Escape also closes dialogs)");
    row("double-click a title", "maximise that view / back");
    row("Ctrl+F, F3", "search: text, #position or chunk N; Enter or F3 goes to the next match");
    row("B", "bookmark the current step (named after it when the name is empty)");
    row("Ctrl+O", "open a recording beside the ones already open");
    row("Ctrl+Q", "quit");
    row("F1 or ?", "this help");
    row("mask",
        "wheel: zoom at the pointer · drag: pan · click: select a chunk · double-click: fit");
    row("score timeline",
        "wheel: zoom the steps · Shift+wheel: zoom the chunks · double-click: all");
    row("anywhere",
        "a click on a chunk selects it in every view; a click on a step lane goes there");
    row("PNG / CSV",
        "the buttons on a view's title export its picture / its data to the working folder");
    ImGui::EndTable();
  }
  ImGui::Separator();
  ImGui::TextUnformatted("One colour per meaning, in every view:");
  draw::legend(theme::meanings(levels));
  ImGui::Spacing();
  if (ImGui::Button("Close", ImVec2(100, 0))) *open = false;
  draw::end_dialog(open);
}

}  // namespace ssa::gui
