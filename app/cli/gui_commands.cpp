// Subcommands of the workbench GUI: `gui FILE...` (open recordings in the
// window), `live` (record a decode and watch it grow), `screenshot` (render
// views offscreen to PNG) and `bench gui` (frame build times and resident
// memory, also while following a growing recording). Offscreen work needs an
// X server: without DISPLAY the command starts a private Xvfb for itself.
#include <fmt/core.h>
#include <imgui.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/cli/atomic_output.h"
#include "app/cli/commands.h"
#include "app/gui/core/gui_context.h"
#include "app/gui/core/png_writer.h"
#include "app/gui/core/virtual_display.h"
#include "app/gui/model/eval_results.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench.h"
#include "app/gui/workbench_ui.h"
#include "app/summary/recording_summary.h"
#include "sessions/reader.h"
#include "sessions/recording_format.h"
#include "sessions/writer.h"

namespace ssa::cli {
namespace {

namespace fs = std::filesystem;

// A readable recording, or one line saying why not (checked before any window opens).
void require_recording(const std::string& path) {
  gui::read_recordings_without_mmap();  // before SQLite opens its first file
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw InputError(path + ": no such recording file");
  try {
    sessions::Reader reader(path);
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
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

// A PNG output's folder exists (checked before any rendering, so that bad
// input costs nothing and writes nothing), and the PNG is none of `inputs`.
void check_png_output(const std::string& out, const std::vector<std::string>& inputs) {
  refuse_output_onto_input(out, "--out", inputs);
  const fs::path parent = fs::path(out).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw UsageError("--out " + out + ": its folder does not exist");
}

// An evaluation results folder (it holds results.csv), as `eval` writes it.
bool is_results_folder(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && gui::is_results_folder(path);
}

void add_screenshot(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("screenshot", "Render workbench views of a recording to a PNG file");
  struct Args {
    std::string recording, view = "all", size = "1600x1000", out;
    int64_t run = -1, step = -1;
    int32_t layer = -1, head = -1, chunk = -1;
    float mask_zoom = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("recording", args->recording,
                  "the .ssarec file, or an evaluation results folder (view evaluation); none "
                  "for --view demos (the first screen)");
  cmd->add_option("--view", args->view, std::string("what to render: ") + gui::panel_names())
      ->capture_default_str();
  cmd->add_option("--step", args->step, "decode step to show (default: the first)");
  cmd->add_option("--run", args->run, "run id (default: the first decode run with a layout)");
  cmd->add_option("--layer", args->layer, "layer (default: the first that selects)");
  cmd->add_option("--head", args->head, "query head or KV group (-1: all heads)")
      ->capture_default_str();
  cmd->add_option("--chunk", args->chunk, "chunk to select (default: the answer's chunk)");
  cmd->add_option("--mask-zoom", args->mask_zoom,
                  "zoom the mask view to this many pixels per position around the chunk");
  cmd->add_option("--size", args->size, "image size WIDTHxHEIGHT")->capture_default_str();
  cmd->add_option("--out", args->out, "PNG file to write")->required();
  cmd->callback([args] {
    if (!gui::parse_panel(args->view))
      throw UsageError("--view " + args->view + ": expected one of " + gui::panel_names());
    const auto [w, h] = parse_size(args->size);
    gui::ShotOptions options;
    if (args->recording.empty()) {
      if (args->view != "demos")
        throw UsageError("screenshot --view " + args->view +
                         ": needs a recording or a results folder (only --view demos needs none)");
      check_png_output(args->out, {});
    } else if (is_results_folder(args->recording)) {
      options.results = args->recording;
      if (args->view == "all") args->view = "evaluation";
      check_png_output(args->out,
                       {args->recording + "/results.csv", args->recording + "/examples.csv",
                        args->recording + "/command.txt"});
    } else {
      require_recording(args->recording);
      check_png_output(args->out, {args->recording});
      options.recording = args->recording;
    }
    const auto display = ensure_display(w, h);
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
    } catch (const gui::OptionError& e) {
      throw UsageError(e.what());
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    fmt::print("wrote {} ({}x{}, view {})\n", args->out, w, h, args->view);
  });
}

// `chart`: the evaluation's chart alone, drawn offscreen by the GUI's own
// plotting code (the Evaluation panel's), to DIR/chart.png by default.
void add_chart(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "chart", "Draw an evaluation's chart (accuracy against context) to a PNG file");
  struct Args {
    std::string folder, out, size = "1200x700";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("folder", args->folder, "the results folder `eval` wrote (holds results.csv)")
      ->required();
  cmd->add_option("--out", args->out, "PNG file to write (default: FOLDER/chart.png)");
  cmd->add_option("--size", args->size, "image size WIDTHxHEIGHT")->capture_default_str();
  cmd->callback([args] {
    const auto [w, h] = parse_size(args->size);
    std::error_code ec;
    if (!fs::is_directory(args->folder, ec))
      throw InputError(args->folder + ": no such results folder");
    if (!gui::is_results_folder(args->folder))
      throw InputError(args->folder + ": not a results folder (no results.csv in it)");
    const std::string out = args->out.empty() ? args->folder + "/chart.png" : args->out;
    check_png_output(out, {args->folder + "/results.csv", args->folder + "/examples.csv",
                           args->folder + "/command.txt"});
    // Read before a display is started: a damaged CSV costs nothing.
    try {
      gui::load_eval_results(args->folder);
    } catch (const gui::EvalFormatError& e) {
      throw InputError(e.what());
    }
    const auto display = ensure_display(w, h);
    try {
      const gui::Image image = gui::render_chart(args->folder, w, h);
      gui::write_png(out, image.width, image.height, image.rgba);
    } catch (const gui::OptionError& e) {
      throw UsageError(e.what());
    } catch (const gui::EvalFormatError& e) {
      throw InputError(e.what());
    }
    fmt::print("wrote {} ({}x{})\n", out, w, h);
  });
}

// `bench gui --live`: a copy of the recording's first decode run, grown one
// step per refresh by a Writer (steps cycle through the source's records),
// starting from `first_steps` steps.
class GrowingCopy {
 public:
  GrowingCopy(const std::string& source, const std::string& path, int first_steps)
      : reader_(source) {
    for (const auto& info : reader_.runs()) {
      if (!reader_.layout(info.id) || reader_.detail_step_range(info.id).count == 0) continue;
      run_ = info;
      break;
    }
    if (run_.id == 0) throw InputError(source + ": no decode run with recorded choices to follow");
    steps_ = reader_.decode_steps(run_.id);
    if (steps_.empty()) throw InputError(source + ": the decode run has no steps");
    layers_ = std::max(1, reader_.num_layers(run_.id));
    sessions::WriterOptions options;
    options.low_priority_thread = false;
    writer_ = std::make_unique<sessions::Writer>(path, options);
    sessions::RunInfo info = run_;
    info.finished = false;
    id_ = writer_->begin_run(info);
    writer_->write_layout(id_, *reader_.layout(run_.id));
    if (auto mask = reader_.mask(run_.id)) writer_->write_mask(id_, *mask);
    for (int i = 0; i < first_steps; ++i) grow();
  }
  ~GrowingCopy() {
    if (writer_) writer_->close();
  }
  // Writes the next step (decode record and every layer's detail) and commits it.
  void grow() {
    const auto& source = steps_[static_cast<size_t>(next_) % steps_.size()];
    sessions::DecodeStepRecord d = source;
    d.step = next_;
    writer_->write_decode_step(id_, d);
    for (int32_t layer = 0; layer < layers_; ++layer) {
      if (auto record = reader_.layer_step(run_.id, source.step, layer)) {
        record->step = next_;
        writer_->write_layer_step(id_, std::move(*record));
      }
    }
    writer_->flush();
    ++next_;
  }

 private:
  sessions::Reader reader_;
  sessions::RunInfo run_;
  std::vector<sessions::DecodeStepRecord> steps_;
  int32_t layers_ = 1;
  std::unique_ptr<sessions::Writer> writer_;
  int64_t id_ = 0, next_ = 0;
};

void print_times(const gui::FrameTimes& t, const std::string& what, int w, int h) {
  fmt::print(
      "open {:.1f} ms; frame build over {} frames ({}x{}, {}), GUI-thread CPU: median {:.2f} ms, "
      "p95 {:.2f} ms, "
      "max {:.2f} ms (wall clock: median {:.2f} ms, max {:.2f} ms)\n",
      t.open_ms, t.frames, w, h, what, t.median_ms, t.p95_ms, t.max_ms, t.wall_median_ms,
      t.wall_max_ms);
  fmt::print(
      "first frame (startup: shaders, font atlas) {:.1f} ms; per view (wall), median/max ms:",
      t.first_frame_ms);
  for (const auto& part : t.parts)
    fmt::print(" {} {:.2f}/{:.2f}", part.name, part.median_ms, part.max_ms);
  fmt::print("\n");
}

void add_bench_gui(CLI::App& app) {
  auto* cmd = bench_group(app).add_subcommand(
      "gui", "Time the workbench's frame build on a recording and print its resident memory");
  struct Args {
    std::string recording, size = "1600x1000";
    int frames = 600;
    bool live = false;
    int refreshes = 2000;
    int start_steps = 1;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("recording", args->recording, "the .ssarec file")->required();
  cmd->add_option("--frames", args->frames, "frames to build")->capture_default_str();
  cmd->add_option("--size", args->size, "window size WIDTHxHEIGHT")->capture_default_str();
  cmd->add_flag("--live", args->live,
                "follow a copy of the recording's decode run that grows by one step per refresh");
  cmd->add_option("--refreshes", args->refreshes, "with --live: refreshes to follow")
      ->capture_default_str();
  // From 1 step, the first refreshes also fill the window (the lanes get a
  // cell per step up to their width in pixels, the caches fill to their
  // bounds); from a run already wider than the window they measure only what
  // each refresh adds.
  cmd->add_option("--start-steps", args->start_steps,
                  "with --live: steps the copy has when the window opens")
      ->capture_default_str();
  cmd->callback([args] {
    if (args->frames < 10 || args->frames > 100000) throw UsageError("--frames must be 10..100000");
    if (args->refreshes < 30 || args->refreshes > 100000)
      throw UsageError("--refreshes must be 30..100000");
    if (args->start_steps < 1 || args->start_steps > 100000)
      throw UsageError("--start-steps must be 1..100000");
    const auto [w, h] = parse_size(args->size);
    require_recording(args->recording);
    const auto display = ensure_display(w, h);
    gui::FrameTimes t;
    if (!args->live) {
      try {
        t = gui::bench_frames(args->recording, args->frames, w, h);
      } catch (const std::exception& e) {
        throw InputError(e.what());
      }
      fmt::print("{}: {} positions, {} steps, {:.1f} MB\n", args->recording, t.positions, t.steps,
                 fs::file_size(args->recording) / 1e6);
      print_times(t, "one step per frame, mask zoom cycling", w, h);
      fmt::print(
          "resident memory: {:.1f} MB after the first frame, {:.1f} MB at the end, peak {:.1f} "
          "MB\n",
          t.rss_start_kb / 1024.0, t.rss_end_kb / 1024.0, t.rss_peak_kb / 1024.0);
      return;
    }
    const std::string copy =
        (fs::temp_directory_path() / ("ssa-bench-live-" + std::to_string(::getpid()) + ".ssarec"))
            .string();
    auto remove_copy = [&] {
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(copy + suffix, ec);
    };
    try {
      GrowingCopy growing(args->recording, copy, args->start_steps);
      t = gui::bench_live(
          copy, [&] { growing.grow(); }, args->refreshes, w, h);
    } catch (const InputError&) {
      remove_copy();
      throw;
    } catch (const std::exception& e) {
      remove_copy();
      throw InputError(e.what());
    }
    remove_copy();
    fmt::print(
        "{} followed live: {} refreshes, each adding one step ({} positions, {} steps at the "
        "start, {} at the end)\n",
        args->recording, t.frames, t.positions, args->start_steps, t.steps);
    print_times(t, "a refresh with new data before every frame", w, h);
    const double growth =
        t.rss_start_kb > 0 ? 100.0 * (t.rss_end_kb - t.rss_start_kb) / t.rss_start_kb : 0;
    fmt::print(
        "resident memory: {:.1f} MB after 20 refreshes, {:.1f} MB after {} ({:+.1f}%), peak {:.1f} "
        "MB\n",
        t.rss_start_kb / 1024.0, t.rss_end_kb / 1024.0, t.frames, growth, t.rss_peak_kb / 1024.0);
    // Where it grew: file-backed pages (a mapped recording would count here),
    // or anonymous ones, and of those how much malloc hands out.
    auto mb = [](int64_t kb) { return kb / 1024.0; };
    fmt::print(
        "  of which anonymous (RssAnon) {:.1f} / {:.1f} / {:.1f} MB, file-backed (RssFile) {:.1f} "
        "/ "
        "{:.1f} / {:.1f} MB after 20 / {} / {} refreshes\n",
        mb(t.memory_start.anon_kb), mb(t.memory_half.anon_kb), mb(t.memory_end.anon_kb),
        mb(t.memory_start.file_kb), mb(t.memory_half.file_kb), mb(t.memory_end.file_kb),
        t.frames / 2, t.frames);
    if (t.memory_end.heap_kb >= 0)
      fmt::print("  malloc heap in use {:.1f} / {:.1f} / {:.1f} MB\n", mb(t.memory_start.heap_kb),
                 mb(t.memory_half.heap_kb), mb(t.memory_end.heap_kb));
  });
}

void add_gui(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("gui", "Open recordings in the workbench window (several side by side)");
  auto paths = std::make_shared<std::vector<std::string>>();
  cmd->add_option("recordings", *paths,
                  "the .ssarec files, or an evaluation results folder (holds results.csv); none: "
                  "the demos, as `ssa-workbench` alone");
  cmd->callback([paths] {
    if (paths->empty()) {
      if (const int rc = gui::run_default_workbench(); rc != 0) std::exit(rc);
      return;
    }
    gui::WorkbenchOptions options;
    for (const auto& path : *paths) {
      if (!is_results_folder(path)) {
        require_recording(path);
        options.recordings.push_back(path);
        continue;
      }
      if (!options.results.empty()) throw UsageError(path + ": one results folder at a time");
      try {
        gui::load_eval_results(path);  // a damaged CSV: one line, before any window
      } catch (const gui::EvalFormatError& e) {
        throw InputError(e.what());
      }
      options.results = path;
    }
    if (!gui::display_available()) {
      if (options.recordings.empty())
        throw InputError("the Evaluation panel needs a display (`chart " + options.results +
                         "` draws its chart without one)");
      fmt::print("No display: a headless summary instead.\n");
      for (const auto& path : options.recordings) {
        try {
          summary::print_headless_summary(path, stdout);
        } catch (const std::exception& e) {
          throw InputError(e.what());
        }
      }
      return;
    }
    if (const int rc = gui::run_workbench(options); rc != 0) std::exit(rc);
  });
}

// `live`: the engine decodes in a child process (`ssa-workbench record`),
// writing a recording that the window follows from the first moment (it says
// when it waits for the file, when the prompt is being prefilled, how far
// the decode is and when it has finished). The child is reaped as soon as it
// ends; closing the window first stops it.
void add_live(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "live", "Record a decode (the options of `record`) and watch it in the window as it runs");
  cmd->allow_extras();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--out", *out, "recording to write (default: a temporary file)");
  cmd->callback([cmd, out] {
    if (!gui::display_available()) throw InputError("live needs a display (use `record` headless)");
    std::string path = *out;
    if (path.empty())
      path = (fs::temp_directory_path() / ("ssa-live-" + std::to_string(::getpid()) + ".ssarec"))
                 .string();
    std::error_code ec;
    if (fs::exists(path, ec)) throw UsageError("--out " + path + ": the file already exists");
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw InputError("cannot find this program to start the recorder");
    self[n] = '\0';
    std::vector<std::string> args = {self, "record"};
    int64_t steps = 16;  // record's default
    const auto extras = cmd->remaining();
    for (size_t i = 0; i < extras.size(); ++i) {
      args.push_back(extras[i]);
      if (extras[i] == "--steps" && i + 1 < extras.size())
        steps = std::atoll(extras[i + 1].c_str());
    }
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
    // The reaper: the child's exit is seen (and the zombie gone) as soon as it ends.
    std::atomic<int> exit_status{-1};
    std::thread reaper([&] {
      int status = 0;
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    });
    gui::WorkbenchOptions options;
    options.recordings = {path};
    options.wait_for_files = true;
    options.expected_steps = steps;
    options.recorder_note = [&] {
      const int s = exit_status.load();
      if (s < 0) return std::string("recorder running (pid ") + std::to_string(child) + ")";
      if (s == 0) return std::string("recorder finished");
      return "the recorder stopped with exit code " + std::to_string(s) +
             " (its message is in the terminal)";
    };
    const int rc = gui::run_workbench(options);
    if (exit_status.load() < 0) ::kill(child, SIGTERM);  // the window closed first: stop recording
    reaper.join();
    if (fs::exists(path, ec)) fmt::print("recording kept in {}\n", path);
    if (rc != 0) std::exit(rc);
  });
}

}  // namespace

std::string version_text() {
  return std::string("ssa-workbench ") + kVersion + " (recording format " +
         std::to_string(sessions::kFormatVersion) + "; GUI: Dear ImGui " + IMGUI_VERSION + ")";
}

void register_gui_commands(CLI::App& app) {
  add_gui(app);
  add_screenshot(app);
  add_chart(app);
  add_bench_gui(app);
  add_live(app);
}

}  // namespace ssa::cli
