// Loading the engine's subcommands on demand (see engine_commands.h).
#include <dlfcn.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/engine_commands.h"

namespace ssa::cli {
namespace {

constexpr const char* kLibrary = "libssa_engine_commands.so";

// The folder of this executable: the library is installed beside it.
std::string executable_folder() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return ".";
  self[n] = '\0';
  std::string path(self);
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

bool needs_engine_commands(int argc, const char* const* argv) {
  if (argc < 2) return false;  // the GUI (or the headless summary) on the demo
  const std::string command = argv[1];
  for (const char* light :
       {"info", "export", "tokenize", "gui", "screenshot", "chart", "live", "--version"})
    if (command == light) return false;
  if (command == "bench") return argc < 3 || std::strcmp(argv[2], "gui") != 0;
  return true;  // an engine command, top-level help (lists them all), or a typo
}

void load_engine_commands(CLI::App& app) {
  const std::string path = executable_folder() + "/" + kLibrary;
  // RTLD_LOCAL: the library keeps its own copy of what it links statically.
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = ::dlerror();
    throw RunFailure("cannot load the engine's commands from " + path + " (" +
                     (why ? why : "unknown error") + ")");
  }
  using Register = void (*)(CLI::App*);
  auto entry = reinterpret_cast<Register>(::dlsym(library, "ssa_register_engine_commands"));
  if (!entry) throw RunFailure(path + ": not the engine's command library");
  entry(&app);  // never unloaded: its callbacks stay in the app
}

}  // namespace ssa::cli
