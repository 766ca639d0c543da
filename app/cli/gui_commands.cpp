// Subcommands of the workbench GUI: `gui FILE` (open a recording in the
// window), `live` (record a decode and watch it grow), `screenshot` (render
// views offscreen to PNG) and `bench gui` (frame build times). Offscreen work needs an X server:
// without DISPLAY the command starts a private Xvfb for itself.
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/gui/core/gui_context.h"
#include "app/gui/core/posix_files.h"
#include "app/gui/core/virtual_display.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench.h"
#include "app/gui/workbench_ui.h"
#include "app/summary/recording_summary.h"
#include "sessions/reader.h"

namespace ssa::cli {
namespace {

void require_recording(const std::string& path) {
  if (!gui::files::is_regular_file(path)) throw InputError(path + ": no such recording file");
}

// "1600x1000" -> width, height.
std::pair<int, int> parse_size(const std::string& text) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || (x != 'x' && x != 'X') ||
      w < 320 || h < 240 || w > 8192 || h > 8192)
    throw UsageError("--size " + text + ": expected WIDTHxHEIGHT between 320x240 and 8192x8192");
  return {w, h};
}

// Without a display, a private Xvfb for the duration of the command.
std::unique_ptr<gui::VirtualDisplay> ensure_display(int width, int height) {
  if (gui::display_available()) return nullptr;
  try {
    return std::make_unique<gui::VirtualDisplay>(width, height);
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
}

void add_screenshot(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("screenshot", "Render workbench views of a recording to a PNG file");
  struct Args {
    std::string recording, view = "all", size = "1600x1000", out;
    int64_t run = -1, step = -1;
    int32_t layer = 0, head = -1, chunk = -1;
    float mask_zoom = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("recording", args->recording, "the .ssarec file")->required();
  cmd->add_option("--view", args->view, std::string("what to render: ") + gui::panel_names())
      ->capture_default_str();
  cmd->add_option("--step", args->step, "decode step to show (default: the first)");
  cmd->add_option("--run", args->run, "run id (default: the first run with a layout)");
  cmd->add_option("--layer", args->layer, "layer")->capture_default_str();
  cmd->add_option("--head", args->head, "query head or KV group (-1: all heads)")
      ->capture_default_str();
  cmd->add_option("--chunk", args->chunk, "chunk to select (default: the answer chunk)");
  cmd->add_option("--mask-zoom", args->mask_zoom,
                  "zoom the mask view to this many pixels per position around the chunk");
  cmd->add_option("--size", args->size, "image size WIDTHxHEIGHT")->capture_default_str();
  cmd->add_option("--out", args->out, "PNG file to write")->required();
  cmd->callback([args] {
    if (!gui::parse_panel(args->view))
      throw UsageError("--view " + args->view + ": expected one of " + gui::panel_names());
    const auto [w, h] = parse_size(args->size);
    require_recording(args->recording);
    if (!gui::files::is_directory(gui::files::parent_path(args->out)))
      throw InputError("cannot write " + args->out + ": its folder does not exist");
    const auto display = ensure_display(w, h);
    gui::ShotOptions options;
    options.recording = args->recording;
    options.view = args->view;
    options.run = args->run;
    options.step = args->step;
    options.layer = args->layer;
    options.head = args->head;
    options.chunk = args->chunk;
    options.mask_zoom = args->mask_zoom;
    options.width = w;
    options.height = h;
    try {
      gui::write_screenshot(options, args->out);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    fmt::print("wrote {} ({}x{}, view {})\n", args->out, w, h, args->view);
  });
}

void add_bench_gui(CLI::App& app) {
  auto* cmd = bench_group(app).add_subcommand(
      "gui", "Time the workbench's frame build on a recording (median/max CPU ms per frame)");
  struct Args {
    std::string recording, size = "1600x1000";
    int frames = 600;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("recording", args->recording, "the .ssarec file")->required();
  cmd->add_option("--frames", args->frames, "frames to build")->capture_default_str();
  cmd->add_option("--size", args->size, "window size WIDTHxHEIGHT")->capture_default_str();
  cmd->callback([args] {
    if (args->frames < 10 || args->frames > 100000) throw UsageError("--frames must be 10..100000");
    const auto [w, h] = parse_size(args->size);
    require_recording(args->recording);
    const auto display = ensure_display(w, h);
    gui::FrameTimes t;
    try {
      t = gui::bench_frames(args->recording, args->frames, w, h);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    fmt::print("{}: {} positions, {} detail steps\n", args->recording, t.positions, t.steps);
    fmt::print(
        "open {:.1f} ms; frame build over {} frames ({}x{}, one step per frame, mask zoom "
        "cycling), "
        "GUI-thread CPU: median {:.2f} ms, p95 {:.2f} ms, max {:.2f} ms (wall clock: median "
        "{:.2f} ms, max {:.2f} ms)\n",
        t.open_ms, t.frames, w, h, t.median_ms, t.p95_ms, t.max_ms, t.wall_median_ms,
        t.wall_max_ms);
    fmt::print(
        "first frame (startup: shaders, font atlas) {:.1f} ms; per view (wall), median/max ms:",
        t.first_frame_ms);
    for (const auto& part : t.parts)
      fmt::print(" {} {:.2f}/{:.2f}", part.name, part.median_ms, part.max_ms);
    fmt::print("\n");
  });
}

void add_gui(CLI::App& app) {
  auto* cmd = app.add_subcommand("gui", "Open a recording in the workbench window");
  auto path = std::make_shared<std::string>();
  cmd->add_option("recording", *path, "the .ssarec file")->required();
  cmd->callback([path] {
    require_recording(*path);
    if (!gui::display_available()) {
      fmt::print("No display: a headless summary instead.\n");
      try {
        summary::print_headless_summary(*path, stdout);
      } catch (const std::exception& e) {
        throw InputError(e.what());
      }
      return;
    }
    if (const int rc = gui::run_workbench(*path); rc != 0) std::exit(rc);
  });
}

// `live`: the engine decodes in a child process (`ssa-workbench record`),
// writing a recording that the window follows as it grows.
void add_live(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "live", "Record a decode (the options of `record`) and watch it in the window as it runs");
  cmd->allow_extras();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--out", *out, "recording to write (default: a temporary file)");
  cmd->callback([cmd, out] {
    if (!gui::display_available()) throw InputError("live needs a display (use `record` headless)");
    std::string path = *out;
    if (path.empty()) path = "/tmp/ssa-live-" + std::to_string(::getpid()) + ".ssarec";
    if (gui::files::exists(path)) throw UsageError("--out " + path + ": the file already exists");
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw InputError("cannot find this program to start the recorder");
    self[n] = '\0';
    std::vector<std::string> args = {self, "record"};
    for (const auto& extra : cmd->remaining()) args.push_back(extra);
    args.push_back("--out");
    args.push_back(path);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t child = ::fork();
    if (child == 0) {
      ::execv(self, argv.data());
      ::_exit(127);
    }
    if (child < 0) throw InputError("cannot start the recorder");
    // Wait for the recorder to commit the run's layout (its errors are its own to print).
    int status = 0;
    bool exited = false;
    for (;;) {
      if (::waitpid(child, &status, WNOHANG) == child) {
        exited = true;
        break;
      }
      try {
        if (gui::files::exists(path)) {
          sessions::Reader reader(path);
          bool has_layout = false;
          for (const auto& run : reader.runs()) has_layout |= reader.layout(run.id).has_value();
          if (has_layout) break;
        }
      } catch (const std::exception&) {
        // Not written far enough yet.
      }
      ::usleep(200 * 1000);
    }
    if (exited && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
      throw InputError("the recorder stopped before writing a run (see its message above)");
    const int rc = gui::run_workbench(path);
    if (!exited) {
      ::kill(child, SIGTERM);  // the window closed first: stop recording
      ::waitpid(child, nullptr, 0);
    }
    fmt::print("recording kept in {}\n", path);
    if (rc != 0) std::exit(rc);
  });
}

}  // namespace

void register_gui_commands(CLI::App& app) {
  add_gui(app);
  add_screenshot(app);
  add_bench_gui(app);
  add_live(app);
}

}  // namespace ssa::cli
