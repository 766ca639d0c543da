// Bookmarks: named notes on steps of the current run, stored in the recording
// itself (sessions::Notebook), so they travel with the file.
#include <imgui.h>

#include <cstring>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

void BookmarksView::draw(ViewContext& ctx) {
  UiState& s = ctx.state;
  draw::title("Bookmarks", "stored in the recording");
  ImGui::SetNextItemWidth(180);
  ImGui::InputTextWithHint("##name", "name", name_, sizeof name_);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - 190));
  ImGui::InputTextWithHint("##note", "note", note_, sizeof note_);
  ImGui::SameLine();
  const std::string add = "Add at step " + std::to_string(s.step);
  if (ImGui::Button(add.c_str())) {
    sessions::Bookmark b;
    b.run_id = s.run_id;
    b.step = s.step;
    b.layer = s.layer;
    if (s.selected_chunk >= 0) b.position = ctx.run->index.spans(0)[s.selected_chunk].gist;
    b.name = name_[0] ? name_ : "step " + std::to_string(s.step);
    b.note = note_;
    try {
      ctx.model.add_bookmark(b);
      name_[0] = note_[0] = '\0';
      s.status = "bookmark added";
    } catch (const std::exception& e) {
      s.status = e.what();
    }
  }
  const auto& bookmarks = ctx.model.bookmarks(s.run_id);
  if (bookmarks.empty()) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "No bookmarks yet.");
    return;
  }
  if (ImGui::BeginTable(
          "bookmarks", 5,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_ScrollY)) {
    ImGui::TableSetupColumn("step", ImGuiTableColumnFlags_WidthFixed, 60);
    ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed, 50);
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthStretch, 1);
    ImGui::TableSetupColumn("note", ImGuiTableColumnFlags_WidthStretch, 2);
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, 110);
    ImGui::TableHeadersRow();
    int64_t remove = -1;
    for (const auto& b : bookmarks) {
      ImGui::PushID(static_cast<int>(b.id));
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%lld", static_cast<long long>(b.step));
      ImGui::TableNextColumn();
      if (b.layer >= 0)
        ImGui::Text("%d", b.layer);
      else
        ImGui::TextUnformatted("all");
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(b.name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextWrapped("%s", b.note.c_str());
      ImGui::TableNextColumn();
      if (ImGui::SmallButton("Go")) {
        if (b.step >= 0) s.step = b.step;
        if (b.layer >= 0) s.layer = b.layer;
        if (b.position >= 0) s.selected_chunk = ctx.run->index.span_of(b.position, 0);
        s.playing = false;
      }
      ImGui::SameLine();
      if (ImGui::SmallButton("Delete")) remove = b.id;
      ImGui::PopID();
    }
    ImGui::EndTable();
    if (remove >= 0) {
      try {
        ctx.model.remove_bookmark(s.run_id, remove);
      } catch (const std::exception& e) {
        s.status = e.what();
      }
    }
  }
}

}  // namespace ssa::gui
