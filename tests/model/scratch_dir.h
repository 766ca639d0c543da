// Scratch directories for the model tests, under the build tree.
#pragma once

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

}  // namespace ssa::test
