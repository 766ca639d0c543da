// File-system helpers on POSIX calls. The GUI does not use std::filesystem:
// the LibTorch wheel that ssa-workbench links exports its own copy of those
// symbols, and some of them crash when called from our code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::gui::files {

bool exists(const std::string& path);
bool is_regular_file(const std::string& path);
bool is_directory(const std::string& path);
int64_t file_size(const std::string& path);  // -1 when unreadable

struct Entry {
  std::string name;
  bool directory = false;
  int64_t size = 0;
};
// Entries of a folder sorted by name ("." and ".." left out); false when it cannot be read.
bool list_directory(const std::string& dir, std::vector<Entry>* entries);

std::string filename(const std::string& path);     // "a/b.ssarec" -> "b.ssarec"
std::string parent_path(const std::string& path);  // "a/b.ssarec" -> "a", "b" -> "."
std::string join(const std::string& dir, const std::string& name);
std::string absolute(const std::string& path);  // against the working directory
std::string current_directory();
// mkdir -p; false on failure.
bool make_directories(const std::string& path);
// rm -r (tests' temporary folders); best effort.
void remove_tree(const std::string& path);

}  // namespace ssa::gui::files
