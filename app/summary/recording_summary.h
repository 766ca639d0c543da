// What a recording holds, in words: the summary `ssa-workbench` prints when
// there is no display (or no GUI compiled in), and `ssa-workbench info`, which
// prints the same and where the file's bytes go. Reads recordings through
// sessions::Reader only; no ImGui, no LibTorch.
#pragma once

#include <cstdio>
#include <string>

namespace ssa::summary {

// Where the shipped demo recording is: $SSA_DEMO_RECORDING, else
// assets/demo/demo.ssarec under the working directory, else under the source tree.
std::string default_demo_path();
// Per run: status (finished, failed and why, incomplete), shape, layout,
// mask, steps, the decode figures, the generated and the expected text, what
// was unfolded. Throws sessions::Error for unreadable or damaged files.
void print_headless_summary(const std::string& path, std::FILE* out);
// `ssa-workbench info`: the headless summary, then the bytes per table.
void print_recording_info(const std::string& path, std::FILE* out);

}  // namespace ssa::summary
