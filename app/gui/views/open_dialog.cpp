// The open-recording dialog: an ImGui-drawn list of the .ssarec files of a
// folder, plus recently opened files (kept in ~/.config/ssa-workbench/recent).
// The picked file opens beside the ones already open. Escape closes it.
//
// [SECTION] recent files
// [SECTION] draw: the dialog
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

namespace fs = std::filesystem;

fs::path recent_file() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const fs::path dir = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".config";
  return dir / "ssa-workbench" / "recent";
}

}  // namespace

// --- [SECTION] recent files -----------------------------------------------------------

// The list as stored, newest first.
std::vector<std::string> stored_recent() {
  std::vector<std::string> paths;
  std::ifstream in(recent_file());
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) paths.push_back(line);
  return paths;
}

std::vector<std::string> OpenDialog::recent() {
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto& p : stored_recent())
    if (fs::exists(p, ec)) paths.push_back(std::move(p));  // a file gone is no offer
  return paths;
}

void OpenDialog::remember(const std::string& path) {
  std::error_code ec;
  const std::string absolute = fs::absolute(path, ec).lexically_normal().string();
  auto paths = stored_recent();
  paths.erase(std::remove(paths.begin(), paths.end(), absolute), paths.end());
  paths.insert(paths.begin(), absolute);
  if (paths.size() > 10) paths.resize(10);
  fs::create_directories(recent_file().parent_path(), ec);
  std::ofstream out(recent_file());  // best effort: no recent list is no error
  for (const auto& p : paths) out << p << "\n";
}

// --- [SECTION] draw: the dialog -----------------------------------------------------------

std::string OpenDialog::draw(bool* open, KeyQueue& keys) {
  std::string picked;
  if (!initialised_) {
    const auto recent_paths = recent();
    std::error_code ec;
    const std::string start = recent_paths.empty()
                                  ? fs::current_path(ec).string()
                                  : fs::path(recent_paths.front()).parent_path().string();
    std::snprintf(folder_, sizeof folder_, "%s", start.c_str());
    initialised_ = true;
  }
  if (!draw::begin_dialog("Open a recording", open, keys, ImVec2(760, 560))) return picked;
  ImGui::TextUnformatted("Folder");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-90);
  ImGui::InputText("##folder", folder_, sizeof folder_);
  ImGui::SameLine();
  if (ImGui::Button("Up")) {
    const std::string parent = fs::path(folder_).parent_path().string();
    std::snprintf(folder_, sizeof folder_, "%s", parent.empty() ? "/" : parent.c_str());
  }
  ImGui::BeginChild("files", ImVec2(0, -170), true);
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  if (ec) {
    // Wrapped: a long folder path must not push the reason out of sight.
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(theme::vec(theme::error()), "cannot list %s: %s", folder_,
                       ec.message().c_str());
    ImGui::PopTextWrapPos();
  }
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path() < b.path();
            });
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    std::error_code e2;
    if (entry.is_directory(e2) && name[0] != '.') {
      if (ImGui::Selectable((name + "/").c_str()))
        std::snprintf(folder_, sizeof folder_, "%s", entry.path().string().c_str());
    } else if (entry.path().extension() == ".ssarec") {
      char label[512];
      std::snprintf(label, sizeof label, "%s   (%.1f MB)", name.c_str(), entry.file_size(e2) / 1e6);
      if (ImGui::Selectable(label)) picked = entry.path().string();
    }
  }
  ImGui::EndChild();
  ImGui::TextColored(theme::vec(theme::text_dim()), "Recent");
  ImGui::BeginChild("recent", ImVec2(0, -40), true);
  for (const auto& path : recent())
    if (ImGui::Selectable(path.c_str())) picked = path;
  ImGui::EndChild();
  if (ImGui::Button("Cancel", ImVec2(100, 0))) *open = false;
  ImGui::SameLine();
  draw::dim_text("Escape closes this dialog; the file opens beside the ones already open.");
  if (!picked.empty()) *open = false;
  draw::end_dialog(open);
  return picked;
}

}  // namespace ssa::gui
