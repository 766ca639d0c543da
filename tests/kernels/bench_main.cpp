// ssa-bench: `ssa-workbench bench kernels` and `bench decode-model` where the
// app is not built (the GPU machine has no GLFW/ImGui). Same flags and exit
// codes (2: usage, 1: run error):  ssa-bench bench kernels --contexts 131072
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "app/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ssa-bench: the GPU decode benchmarks of ssa-workbench, headless"};
  app.require_subcommand(1, 1);
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks: kernels, decode-model");
  bench->require_subcommand(1);
  ssa::cli::register_bench_kernels_commands(*bench);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ssa-bench: %s\n", e.what());
    return 2;
  } catch (const ssa::cli::UsageError& e) {
    std::fprintf(stderr, "ssa-bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ssa-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
