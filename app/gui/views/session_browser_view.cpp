// Session browser: an ImGui-drawn open dialog listing the .ssarec files of a
// folder, plus recently opened files (kept in ~/.config/ssa-workbench/recent).
#include <imgui.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "app/gui/core/posix_files.h"
#include "app/gui/core/theme.h"
#include "app/gui/views/views.h"

namespace ssa::gui {
namespace {

std::string recent_file() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const std::string dir = xdg && *xdg ? xdg : files::join(home ? home : ".", ".config");
  return files::join(files::join(dir, "ssa-workbench"), "recent");
}

}  // namespace

std::vector<std::string> SessionBrowserView::recent() {
  std::vector<std::string> paths;
  std::ifstream in(recent_file());
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) paths.push_back(line);
  return paths;
}

void SessionBrowserView::remember(const std::string& path) {
  const std::string absolute = files::absolute(path);
  auto paths = recent();
  paths.erase(std::remove(paths.begin(), paths.end(), absolute), paths.end());
  paths.insert(paths.begin(), absolute);
  if (paths.size() > 10) paths.resize(10);
  files::make_directories(files::parent_path(recent_file()));
  std::ofstream out(recent_file());  // best effort: no recent list is no error
  for (const auto& p : paths) out << p << "\n";
}

std::string SessionBrowserView::draw(bool* open) {
  std::string picked;
  if (!initialised_) {
    const auto recent_paths = recent();
    const std::string start = recent_paths.empty() ? files::current_directory()
                                                   : files::parent_path(recent_paths.front());
    std::snprintf(folder_, sizeof folder_, "%s", start.c_str());
    initialised_ = true;
  }
  ImGui::OpenPopup("Open recording");
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(
      ImVec2(std::min(760.0f, display.x - 40), std::min(560.0f, display.y - 40)));
  ImGui::SetNextWindowPos(ImVec2(display.x / 2, display.y / 2), ImGuiCond_Always,
                          ImVec2(0.5f, 0.5f));
  if (!ImGui::BeginPopupModal("Open recording", open, ImGuiWindowFlags_NoResize)) return picked;
  ImGui::TextUnformatted("Folder");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-90);
  ImGui::InputText("##folder", folder_, sizeof folder_);
  ImGui::SameLine();
  if (ImGui::Button("Up")) {
    const std::string parent = files::parent_path(folder_);
    std::snprintf(folder_, sizeof folder_, "%s", parent.c_str());
  }
  ImGui::BeginChild("files", ImVec2(0, -170), true);
  std::vector<files::Entry> entries;
  if (!files::list_directory(folder_, &entries))
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::error()), "cannot list %s", folder_);
  for (const auto& entry : entries) {
    const std::string full = files::join(folder_, entry.name);
    if (entry.directory && entry.name[0] != '.') {
      if (ImGui::Selectable((entry.name + "/").c_str()))
        std::snprintf(folder_, sizeof folder_, "%s", full.c_str());
    } else if (entry.name.size() > 7 && entry.name.rfind(".ssarec") == entry.name.size() - 7) {
      char label[512];
      std::snprintf(label, sizeof label, "%s   (%.1f MB)", entry.name.c_str(), entry.size / 1e6);
      if (ImGui::Selectable(label)) picked = full;
    }
  }
  ImGui::EndChild();
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(theme::text_dim()), "Recent");
  ImGui::BeginChild("recent", ImVec2(0, -40), true);
  for (const auto& path : recent())
    if (ImGui::Selectable(path.c_str())) picked = path;
  ImGui::EndChild();
  if (ImGui::Button("Cancel", ImVec2(100, 0))) *open = false;
  if (!picked.empty()) *open = false;
  if (!*open) ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
  return picked;
}

}  // namespace ssa::gui
