// The workbench's entry points, used by app/main.cpp and app/cli/gui_commands.cpp.
//
// run_default_workbench(): what `ssa-workbench` with no arguments does. With a
// display it opens the window on the shipped demo recording; without one it
// prints the headless summary of that recording (app/summary/recording_summary.h). A missing or
// unreadable demo is reported in one line.
#pragma once

#include <string>

namespace ssa::gui {

int run_default_workbench();
// Opens the window on `path` (exit code 0, or 1 with a one-line error).
int run_workbench(const std::string& path);

}  // namespace ssa::gui
