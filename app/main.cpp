// ssa-workbench: with no arguments, the GUI on the shipped demo (or a headless
// demo when there is no display); with a subcommand, a headless tool.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "app/cli/commands.h"
#include "app/summary/recording_summary.h"
#if SSA_WITH_GUI
#include "app/gui/workbench.h"
#endif

namespace {

// No arguments: the GUI on the shipped demo, or where there is no GUI in this
// build, the headless summary of the demo.
int run_default() {
#if SSA_WITH_GUI
  return ssa::gui::run_default_workbench();
#else
  const std::string path = ssa::summary::default_demo_path();
  try {
    fmt::print(
        "This ssa-workbench has no GUI compiled in: a headless summary of the demo "
        "recording.\n");
    ssa::summary::print_headless_summary(path, stdout);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ssa-workbench: {}: {}\n", path, e.what());
    return 1;
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"SSA Workbench: see Simplified Sparse Attention (gist tokens) work"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", ssa::cli::version_text());
  ssa::cli::register_mask_command(app);
  ssa::cli::register_record_command(app);
  ssa::cli::register_generate_command(app);
  ssa::cli::register_info_command(app);
  ssa::cli::register_export_command(app);
  ssa::cli::register_train_command(app);
  ssa::cli::register_gui_commands(app);
  ssa::cli::register_bench_decode_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ssa-workbench: {}\n", e.what());
    return 2;
  } catch (const ssa::cli::UsageError& e) {
    fmt::print(stderr, "ssa-workbench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ssa-workbench: {}\n", e.what());
    return 1;
  }
  if (app.get_subcommands().empty()) return run_default();
  return 0;
}
