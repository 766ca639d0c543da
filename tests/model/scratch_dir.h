// Scratch directories for the model tests, under the build tree.
#pragma once

#include <ftw.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace ssa::test {

// <build>/tests/model/scratch/<name>, created, with its files removed one by
// one (no fs::remove_all: the torch wheel's libtorch.so exports a
// std::filesystem::remove_all that crashes on non-empty directories when it
// wins symbol resolution).
inline std::filesystem::path scratch_dir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p = fs::path(SSA_BINARY_DIR) / "tests" / "model" / "scratch" / name;
  fs::create_directories(p);
  for (const auto& entry : fs::directory_iterator(p))
    if (entry.is_regular_file()) fs::remove(entry.path());
  return p;
}

// <build>/tests/model/scratch/<name> with everything under it removed (the
// folder itself too: train() refuses a folder that holds a run), by nftw for
// the reason above.
inline std::string fresh_tree(const std::string& name) {
  const std::string dir =
      (std::filesystem::path(SSA_BINARY_DIR) / "tests" / "model" / "scratch" / name).string();
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0)
    ::nftw(
        dir.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  return dir;
}

}  // namespace ssa::test
