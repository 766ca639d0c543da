// Bookmarks: named notes on steps of the current run, stored in the recording
// itself (sessions::Notebook), so they travel with the file. A bookmark
// without a name is named after what it marks ("step 2 · layer 1 · chunk 352,
// the answer's"); a second bookmark of the same place, or of the same name,
// is refused.
//
// [SECTION] adding a bookmark
// [SECTION] draw: the panel body
// [SECTION] CSV
#include <cstring>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {

// --- [SECTION] adding a bookmark -----------------------------------------------------------

void BookmarksView::add(ViewContext& ctx, const std::string& name, const std::string& note) {
  UiState& s = ctx.state;
  const RunData& run = *ctx.run;
  sessions::Bookmark b;
  b.run_id = run.info.id;
  b.step = s.step;
  b.layer = s.layer;
  const bool chunk = ctx.layout && ctx.layout->valid_chunk(s.selected_chunk);
  if (chunk) b.position = ctx.layout->spans(0)[s.selected_chunk].gist;
  b.name = name;
  if (b.name.empty()) {
    b.name = "step " + std::to_string(s.step) + " \xC2\xB7 layer " + std::to_string(s.layer);
    if (chunk) {
      b.name += " \xC2\xB7 chunk " + std::to_string(s.selected_chunk);
      if (run.is_answer_chunk(s.selected_chunk)) b.name += ", the answer's";
    }
    if (const auto* d = run.decode_step(s.step)) b.name += " \xC2\xB7 \"" + d->text + "\"";
  }
  b.note = note;
  for (const auto& other : run.bookmarks) {
    if (other.step == b.step && other.layer == b.layer && other.position == b.position) {
      s.status = "this place is bookmarked already: \"" + other.name + "\"";
      s.status_is_error = true;
      return;
    }
    if (other.name == b.name) {
      s.status = "a bookmark named \"" + b.name + "\" exists already";
      s.status_is_error = true;
      return;
    }
  }
  try {
    ctx.worker.add_bookmark(run.id.file, b);
    s.status = "bookmark added: " + b.name;
    s.status_is_error = false;
  } catch (const std::exception& e) {
    s.status = e.what();
    s.status_is_error = true;
  }
}

// --- [SECTION] draw: the panel body ---------------------------------------------------------

std::string BookmarksView::subtitle(const ViewContext& ctx) const {
  return std::to_string(ctx.run->bookmarks.size()) + " in this run, stored in the recording";
}

void BookmarksView::draw(ViewContext& ctx) {
  UiState& s = ctx.state;
  ImGui::SetNextItemWidth(220);
  ImGui::InputTextWithHint("##name", "name (empty: made up)", name_, sizeof name_);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - 200));
  ImGui::InputTextWithHint("##note", "note", note_, sizeof note_);
  ImGui::SameLine();
  const std::string label = "Add at step " + std::to_string(s.step);
  if (ImGui::Button(label.c_str())) {
    add(ctx, name_, note_);
    if (!s.status_is_error) name_[0] = note_[0] = '\0';
  }
  const auto& bookmarks = ctx.run->bookmarks;
  if (bookmarks.empty()) {
    draw::dim_text("No bookmarks yet. B adds one at the current step.");
    return;
  }
  if (!ImGui::BeginTable(
          "bookmarks", 5,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_ScrollY))
    return;
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
      if (b.layer >= 0 && b.layer < ctx.run->num_layers) s.layer = b.layer;
      if (b.position >= 0 && ctx.layout) s.selected_chunk = ctx.layout->span_of(b.position, 0);
      s.playing = false;
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("Delete")) remove = b.id;
    ImGui::PopID();
  }
  ImGui::EndTable();
  if (remove >= 0) {
    try {
      ctx.worker.remove_bookmark(ctx.run->id.file, remove);
      s.status = "bookmark deleted";
    } catch (const std::exception& e) {
      s.status = e.what();
      s.status_is_error = true;
    }
  }
}

// --- [SECTION] CSV ---------------------------------------------------------------------------

void BookmarksView::write_csv(const ViewContext& ctx, std::ostream& out) const {
  out << "id,step,layer,position,name,note,created_utc\n";
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (const auto& b : ctx.run->bookmarks)
    out << b.id << "," << b.step << "," << b.layer << "," << b.position << "," << quote(b.name)
        << "," << quote(b.note) << "," << b.created_utc << "\n";
}

}  // namespace ssa::gui
