// ssa-workbench: with no arguments, the GUI on the shipped demo (or a headless
// demo when there is no display); with a subcommand, a headless tool. Exit
// codes and error lines: app/cli/commands.h.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/engine_commands.h"
#include "app/summary/recording_summary.h"
#if SSA_WITH_GUI
#include "app/gui/workbench.h"
#endif

namespace {

// One line: the first of a message (library errors may carry a backtrace).
std::string first_line(const char* what) {
  std::string s = what ? what : "";
  const size_t end = s.find('\n');
  if (end != std::string::npos) s.resize(end);
  return s.empty() ? "unknown error" : s;
}

int fail(const char* what, int code) {
  fmt::print(stderr, "ssa-workbench: {}\n", first_line(what));
  return code;
}

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
    return fail((path + ": " + e.what()).c_str(), 2);
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"SSA Workbench: see Simplified Sparse Attention (gist tokens) work"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", ssa::cli::version_text());
  try {
    ssa::cli::register_info_command(app);
    ssa::cli::register_export_command(app);
    ssa::cli::register_tokenize_command(app);
    ssa::cli::register_gui_commands(app);
    if (ssa::cli::needs_engine_commands(argc, argv)) ssa::cli::load_engine_commands(app);
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), 2);
  } catch (const ssa::cli::UsageError& e) {
    return fail(e.what(), 2);
  } catch (const ssa::cli::InputError& e) {
    return fail(e.what(), 2);
  } catch (const ssa::cli::Interrupted& e) {
    fail(e.what(), 0);
    return 128 + e.signal;
  } catch (const std::bad_alloc&) {
    return fail("out of memory", 1);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
  if (app.get_subcommands().empty()) return run_default();
  return 0;
}
