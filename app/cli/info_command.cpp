// `ssa-workbench info RUN.ssarec`: what a recording holds -- runs and their
// status, layout, mask, steps, the generated and expected text, sizes -- the
// same summary as the headless GUI path (app/summary/recording_summary.h).
// A file that is not a readable recording: one line on stderr, exit status 2.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/summary/recording_summary.h"
#include "sessions/errors.h"

namespace ssa::cli {

void register_info_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("info", "Print what a recording (.ssarec) holds");
  cmd->add_option("recording", *path, "The recording file")->required();
  cmd->callback([path] {
    try {
      summary::print_recording_info(*path, stdout);
    } catch (const sessions::Error& e) {
      throw InputError(e.what());
    }
  });
}

}  // namespace ssa::cli
