// `gui`, `screenshot`, `chart`, `live` and `bench gui` in a build without the GUI
// (SSA_GUI=OFF, or AUTO where GLFW / ImGui / stb were not found, as on the GPU
// machine): each says so in one line and exits 2, whatever its arguments.
#include <CLI/CLI.hpp>

#include <string>

#include "app/cli/commands.h"
#include "sessions/recording_format.h"

namespace ssa::cli {
namespace {

void add_absent(CLI::App& parent, const std::string& name, const std::string& what) {
  CLI::App* cmd = parent.add_subcommand(name, what + " (not in this build: no GUI)");
  cmd->allow_extras();
  cmd->callback([name] {
    throw UsageError("`" + name +
                     "` needs the GUI, and this ssa-workbench was built without it (GLFW, Dear "
                     "ImGui or stb missing at build time, or SSA_GUI=OFF)");
  });
}

}  // namespace

std::string version_text() {
  return std::string("ssa-workbench ") + kVersion + " (recording format " +
         std::to_string(sessions::kFormatVersion) + "; no GUI in this build)";
}

void register_gui_commands(CLI::App& app) {
  add_absent(app, "gui", "Open a recording in the workbench window");
  add_absent(app, "screenshot", "Render workbench views of a recording to a PNG file");
  add_absent(app, "chart", "Draw an evaluation's chart to a PNG file");
  add_absent(app, "live", "Record a decode and watch it in the window as it runs");
  add_absent(bench_group(app), "gui", "GUI frame build times");
}

}  // namespace ssa::cli
