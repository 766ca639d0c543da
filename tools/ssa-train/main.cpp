// ssa-train: `ssa-workbench train` where the app is not built.
//   ssa-train train --config assets/configs/small-gpu.json --device cuda --out DIR
// Same subcommand, same flags, same exit codes (2: usage, 1: input or run error).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "app/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ssa-train: train SSA / H-SSA models (headless ssa-workbench train)"};
  app.require_subcommand(1, 1);
  ssa::cli::register_train_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ssa-train: %s\n", e.what());
    return 2;
  } catch (const ssa::cli::UsageError& e) {
    std::fprintf(stderr, "ssa-train: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ssa-train: %s\n", e.what());
    return 1;
  }
  return 0;
}
