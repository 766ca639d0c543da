// The workbench's entry points, used by app/main.cpp and app/cli/gui_commands.cpp.
//
// run_default_workbench(): what `ssa-workbench` with no arguments does. With a
// display it opens the window on the shipped demo recording; without one it
// prints a headless summary of that recording. A missing or unreadable demo
// is reported in one line.
#pragma once

#include <cstdio>
#include <string>

namespace ssa::gui {

int run_default_workbench();
// Opens the window on `path` (exit code 0, or 1 with a one-line error).
int run_workbench(const std::string& path);
// Where the shipped demo recording is: $SSA_DEMO_RECORDING, else
// assets/demo/demo.ssarec under the working directory, else under the source tree.
std::string default_demo_path();
// The no-display summary: runs, layout, steps, what was unfolded. Throws
// sessions::Error for unreadable files.
void print_headless_summary(const std::string& path, std::FILE* out);

}  // namespace ssa::gui
