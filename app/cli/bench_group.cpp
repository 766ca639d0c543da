// The `bench` subcommand group that every benchmark joins (commands.h).
#include <CLI/CLI.hpp>

#include "app/cli/commands.h"

namespace ssa::cli {

CLI::App& bench_group(CLI::App& app) {
  for (CLI::App* sub :
       app.get_subcommands([](const CLI::App* a) { return a->get_name() == "bench"; }))
    return *sub;
  auto* bench = app.add_subcommand("bench", "Benchmarks (bench gui, ...)");
  bench->require_subcommand(1);
  return *bench;
}

}  // namespace ssa::cli
