// The subcommands of ssa-workbench, one file each (app/cli/<name>_command.cpp).
//
// Each register_* function adds its subcommand to the CLI11 app with a callback
// that does the work. main() prints every error as one line on stderr
// ("ssa-workbench: <what>") and exits with:
//   0    success;
//   2    bad user input, found before anything is written: flags and their
//        values (UsageError, CLI11's parse errors) and files -- recordings,
//        configs, checkpoints -- that are missing, unreadable or wrong
//        (InputError). The message names the flag or file and what was expected;
//   1    a run that failed for another reason once started (RunFailure: a
//        loss turned NaN; anything else unexpected, out of memory included);
//   130, 143  interrupted by SIGINT / SIGTERM (train saves a checkpoint first).
// Never a crash or a stack trace. Output files are written whole or not at
// all, never over an input (app/cli/atomic_output.h).
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
struct RunFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A command stopped by a signal after cleaning up: main() exits 128 + signal.
struct Interrupted : std::runtime_error {
  Interrupted(const std::string& what, int signal) : std::runtime_error(what), signal(signal) {}
  int signal;
};

void register_mask_command(CLI::App& app);
void register_record_command(CLI::App& app);
// `generate`: compress a prompt and print the continuation (app/cli/generate_command.cpp).
void register_generate_command(CLI::App& app);
void register_bench_decode_command(CLI::App& app);
// `forward`: logits of a checkpoint on token ids, as .npy (app/cli/forward_command.cpp).
void register_forward_command(CLI::App& app);
// `bench kernels` and `bench decode-model` (the GPU decode path) on a bench
// group (app/cli/bench_kernels_command.cpp).
void register_bench_kernels_commands(CLI::App& bench);
// `info` and `export`: what a recording holds, and its data as CSV
// (app/cli/info_command.cpp, app/cli/export_command.cpp).
void register_info_command(CLI::App& app);
void register_export_command(CLI::App& app);
// `train`: continued pretraining with gist masks (app/cli/train_command.cpp).
void register_train_command(CLI::App& app);
// `tokenize`: text -> token ids, or ids -> text (app/cli/tokenize_command.cpp).
void register_tokenize_command(CLI::App& app);
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
