// The workbench's entry points, used by app/main.cpp and app/cli/gui_commands.cpp.
//
// run_default_workbench(): what `ssa-workbench` (or `gui`) with no arguments
// does. With a display it opens the window on the first screen, the demos
// (demo_list.h: the toy demo, the real-model demo); without one it prints the
// headless summary of the toy demo (app/summary/recording_summary.h). A
// missing or unreadable demo is reported in one line.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ssa::gui {

struct WorkbenchOptions {
  std::vector<std::string> recordings;  // opened side by side
  std::string results;                  // an evaluation results folder ("" none): opens on it
  bool wait_for_files = false;          // live: the recorder creates them
  int64_t expected_steps = -1;          // live: the steps asked of the recorder (progress)
  // Live: a line about the recorder process, polled every frame ("" none).
  std::function<std::string()> recorder_note;
};

int run_default_workbench();
// Opens the window (exit code 0, or 1 with a one-line error); with neither
// recordings nor results, on the demos.
int run_workbench(const WorkbenchOptions& options);

}  // namespace ssa::gui
