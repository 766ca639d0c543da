// ssa-workbench: with no arguments, the GUI on the shipped demo (or a headless
// demo when there is no display); with a subcommand, a headless tool.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "app/cli/commands.h"
#include "app/gui/workbench.h"

int main(int argc, char** argv) {
  CLI::App app{"SSA Workbench: see Simplified Sparse Attention (gist tokens) work"};
  app.require_subcommand(0, 1);
  ssa::cli::register_mask_command(app);
  ssa::cli::register_record_command(app);
  ssa::cli::register_generate_command(app);
  ssa::cli::register_info_command(app);
  ssa::cli::register_export_command(app);
  ssa::cli::register_train_command(app);
  ssa::cli::register_gui_commands(app);
  ssa::cli::register_bench_decode_command(app);
  ssa::cli::register_bench_kernels_commands(ssa::cli::bench_group(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
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
  if (app.get_subcommands().empty()) return ssa::gui::run_default_workbench();
  return 0;
}
