// The subcommands of ssa-workbench, one file each (app/cli/<name>_command.cpp).
//
// Each register_* function adds its subcommand to the CLI11 app with a callback
// that does the work. Errors a user can cause are reported by throwing
// UsageError (bad flags or values: exit 2) or InputError (unreadable or wrong
// files: exit 1), each with a one-line message; main() prints it to stderr.
#pragma once

#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace ssa::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void register_mask_command(CLI::App& app);
void register_record_command(CLI::App& app);
// `generate`: compress a prompt and print the continuation (app/cli/generate_command.cpp).
void register_generate_command(CLI::App& app);
void register_bench_decode_command(CLI::App& app);
// `info` and `export`: what a recording holds, and its data as CSV
// (app/cli/info_command.cpp, app/cli/export_command.cpp).
void register_info_command(CLI::App& app);
void register_export_command(CLI::App& app);
// `train`: continued pretraining with gist masks (app/cli/train_command.cpp).
void register_train_command(CLI::App& app);
// gui, screenshot, live, bench gui (app/cli/gui_commands.cpp, or their
// refusals in gui_commands_absent.cpp when the build has no GUI).
void register_gui_commands(CLI::App& app);
// What `ssa-workbench --version` prints (defined beside register_gui_commands).
constexpr const char* kVersion = "0.5.0";
std::string version_text();
// The `bench` subcommand group, created on first use: add benchmarks to it
// with bench_group(app).add_subcommand("name", ...).
CLI::App& bench_group(CLI::App& app);

}  // namespace ssa::cli
