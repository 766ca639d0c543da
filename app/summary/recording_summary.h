// What a recording holds, in words: the summary `ssa-workbench` prints when
// there is no display (or no GUI compiled in). Reads recordings through
// sessions::Reader only; no ImGui, no LibTorch.
#pragma once

#include <cstdio>
#include <string>

namespace ssa::summary {

// Where the shipped demo recording is: $SSA_DEMO_RECORDING, else
// assets/demo/demo.ssarec under the working directory, else under the source tree.
std::string default_demo_path();
// Runs, layout, steps, what was unfolded. Throws sessions::Error for
// unreadable files.
void print_headless_summary(const std::string& path, std::FILE* out);

}  // namespace ssa::summary
