// POSIX file-system helpers (see posix_files.h).
#include "app/gui/core/posix_files.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace ssa::gui::files {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

bool list_directory(const std::string& dir, std::vector<Entry>* entries) {
  entries->clear();
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string full = join(dir, name);
    struct stat st;
    if (::stat(full.c_str(), &st) != 0) continue;
    entries->push_back({name, S_ISDIR(st.st_mode), static_cast<int64_t>(st.st_size)});
  }
  ::closedir(d);
  std::sort(entries->begin(), entries->end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return true;
}

std::string filename(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string parent_path(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string current_directory() {
  char buffer[PATH_MAX];
  return ::getcwd(buffer, sizeof buffer) ? std::string(buffer) : std::string(".");
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  return join(current_directory(), path);
}

bool make_directories(const std::string& path) {
  if (path.empty() || is_directory(path)) return true;
  if (!make_directories(parent_path(path))) return false;
  return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST;
}

void remove_tree(const std::string& path) {
  std::vector<Entry> entries;
  if (list_directory(path, &entries))
    for (const auto& e : entries) remove_tree(join(path, e.name));
  if (::rmdir(path.c_str()) != 0) ::unlink(path.c_str());
}

}  // namespace ssa::gui::files
