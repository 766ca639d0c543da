// The engine's subcommands -- mask, record, generate, train, bench decode --
// live in a shared library of the project, libssa_engine_commands.so beside
// the executable, which main() loads only when one of them is asked for: the
// commands that need no engine (info, export, gui, screenshot, live, bench gui)
// never load LibTorch, whose libraries and static initialisers alone take
// about 470 MB of memory and a second of start-up. The user still sees one
// program, ssa-workbench.
#pragma once

namespace CLI {
class App;
}

namespace ssa::cli {

// True unless the command line names a subcommand that needs no engine (top-
// level help lists every subcommand, so it loads them).
bool needs_engine_commands(int argc, const char* const* argv);
// Loads the library and registers its subcommands on `app`. Throws
// RunFailure when the library is missing or unusable.
void load_engine_commands(CLI::App& app);

}  // namespace ssa::cli

// Defined by the library (app/cli/engine_commands.cpp): registers mask,
// record, generate, train and bench decode.
extern "C" void ssa_register_engine_commands(CLI::App* app);
