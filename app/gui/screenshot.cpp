// Offscreen rendering (see screenshot.h): a hidden GLFW window provides the
// OpenGL context, frames render into an OffscreenTarget and are read back.
//
// [SECTION] helpers
// [SECTION] screenshot
// [SECTION] benchmarks
#include "app/gui/screenshot.h"

#include <imgui.h>
#include <malloc.h>
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <initializer_list>
#include <map>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/offscreen_target.h"
#include "app/gui/core/png_writer.h"
#include "app/gui/core/theme.h"
#include "app/gui/workbench_ui.h"

namespace ssa::gui {
namespace {

// --- [SECTION] helpers -------------------------------------------------------------

void require_display() {
  if (!display_available())
    throw std::runtime_error(
        "no display for offscreen rendering: set DISPLAY or run under xvfb-run -a");
}

void render_one(GuiContext& context, WorkbenchUi& ui, OffscreenTarget& target, float dt) {
  context.begin_frame(target.width(), target.height());
  ui.frame(dt);
  target.bind();
  context.render_frame(target.width(), target.height());
  target.unbind();
}

// The workbench on one recording, loaded: throws the file's error when it failed.
std::unique_ptr<WorkbenchUi> open_loaded(const std::string& recording) {
  read_recordings_without_mmap();
  auto worker = std::make_unique<Worker>();
  worker->open(recording);
  auto ui = std::make_unique<WorkbenchUi>(std::move(worker));
  ui->wait_idle();
  const auto& files = ui->worker().files();
  if (files.empty() || files[0]->status == Worker::FileStatus::kFailed)
    throw std::runtime_error(files.empty() ? recording + ": not opened" : files[0]->error);
  return ui;
}

double thread_cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Frame build times collected by timed_frame().
struct Samples {
  std::vector<double> ms, wall;
  std::map<std::string, std::vector<double>> parts;
};

// Builds one frame of `ui` (timing the GUI thread's CPU and the wall clock,
// into `samples` when given), then draws it offscreen, outside the timing.
double timed_frame(GuiContext& context, WorkbenchUi& ui, OffscreenTarget& target,
                   Samples* samples) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const double cpu_start = thread_cpu_ms();
  context.begin_frame(target.width(), target.height());
  ui.frame(1.0f / 60.0f);
  ImGui::Render();
  const double ms = thread_cpu_ms() - cpu_start;
  if (samples) {
    samples->ms.push_back(ms);
    samples->wall.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    for (const auto& part : ui.last_frame_parts()) samples->parts[part.name].push_back(part.ms);
  }
  target.bind();
  context.draw_frame(target.width(), target.height());
  target.unbind();
  return ms;
}

// A hidden window, its offscreen target and the workbench on one loaded
// recording, its first decode run shown: what both benchmarks time.
struct BenchWorkbench {
  BenchWorkbench(const std::string& recording, int width, int height, const char* title)
      : context({width, height, false, title}), target(width, height) {
    const auto start = std::chrono::steady_clock::now();
    ui = open_loaded(recording);
    open_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ui->select_run(ui->worker().default_run());
  }
  GuiContext context;
  OffscreenTarget target;
  std::unique_ptr<WorkbenchUi> ui;
  double open_ms = 0;
};

void sort_and_sum(Samples& samples, FrameTimes* times) {
  auto& ms = samples.ms;
  auto& wall = samples.wall;
  auto& part_ms = samples.parts;
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) {
    times->median_ms = ms[ms.size() / 2];
    times->p95_ms = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
    times->max_ms = ms.back();
  }
  std::sort(wall.begin(), wall.end());
  if (!wall.empty())
    times->wall_median_ms = wall[wall.size() / 2], times->wall_max_ms = wall.back();
  for (auto& [name, values] : part_ms) {
    std::sort(values.begin(), values.end());
    times->parts.push_back({name, values[values.size() / 2], values.back()});
  }
}

// The run, step, layer, head, chunk and zoom of `options`, each checked
// against what the recording has (OptionError names the one that is not).
void apply_options(WorkbenchUi& ui, const ShotOptions& options) {
  UiState& state = ui.state();
  const Worker& worker = ui.worker();
  if (options.run >= 0) {
    if (!worker.run({0, options.run}))
      throw OptionError("--run " + std::to_string(options.run) + ": the recording has no run #" +
                        std::to_string(options.run));
    ui.select_run({0, options.run});
  } else {
    const RunId id = worker.default_run();
    if (!id.valid())
      throw std::runtime_error(options.recording + ": the recording has no run to show");
    ui.select_run(id);
  }
  auto run = worker.run(state.run);
  const std::string which = "run #" + std::to_string(run->info.id);
  if (options.step >= 0) {
    if (!std::binary_search(run->steps.begin(), run->steps.end(), options.step))
      throw OptionError("--step " + std::to_string(options.step) + ": " + which +
                        (run->steps.empty() ? " has no steps"
                                            : " has steps " + std::to_string(run->steps.front()) +
                                                  ".." + std::to_string(run->steps.back())));
    state.step = options.step;
  }
  if (options.layer >= 0) {
    if (options.layer >= run->num_layers)
      throw OptionError("--layer " + std::to_string(options.layer) + ": " + which +
                        (run->num_layers == 0
                             ? " has no layers"
                             : " has layers 0.." + std::to_string(run->num_layers - 1)));
    state.layer = options.layer;
  }
  if (options.head >= 0) {
    if (options.head >= run->num_heads)
      throw OptionError("--head " + std::to_string(options.head) + ": " + which + " has " +
                        std::to_string(run->num_heads) + " score heads (0.." +
                        std::to_string(run->num_heads - 1) + ")");
    state.head = options.head;
  }
  if (options.chunk >= 0) {
    if (!run->layout || !run->layout->valid_chunk(options.chunk))
      throw OptionError("--chunk " + std::to_string(options.chunk) + ": " + which + " has " +
                        std::to_string(run->layout ? run->layout->num_chunks() : 0) + " chunks");
    state.selected_chunk = options.chunk;
  }
  if (options.mask_zoom > 0 && run->layout) {
    const int32_t chunk = state.selected_chunk;
    const int64_t pos = run->layout->valid_chunk(chunk) ? run->layout->spans(0)[chunk].gist
                                                        : run->layout->prefix_length() / 2;
    ui.focus_mask(pos, options.mask_zoom);
  }
}

// The fields `names` of /proc/self/status ("VmRSS", ...: kB), in their
// order; 0 for one the kernel does not write.
std::vector<int64_t> status_kb(std::initializer_list<std::string> names) {
  std::vector<int64_t> kb(names.size(), 0);
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    size_t i = 0;
    for (const auto& name : names) {
      if (line.rfind(name + ":", 0) == 0) kb[i] = std::stoll(line.substr(name.size() + 1));
      ++i;
    }
  }
  return kb;
}

}  // namespace

std::pair<int64_t, int64_t> resident_kb() {
  const auto kb = status_kb({"VmRSS", "VmHWM"});
  return {kb[0], kb[1]};
}

FrameTimes::Memory memory_now() {
  FrameTimes::Memory m;
  const auto kb = status_kb({"VmRSS", "RssAnon", "RssFile"});
  m.rss_kb = kb[0], m.anon_kb = kb[1], m.file_kb = kb[2];
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();  // every arena's blocks in use, mmapped ones too
  m.heap_kb = static_cast<int64_t>((info.uordblks + info.hblkhd) / 1024);
#else
  m.heap_kb = -1;
#endif
  return m;
}

void read_recordings_without_mmap() {
  // Fails harmlessly (SQLITE_MISUSE) once SQLite is initialised: the first call wins.
  sqlite3_config(SQLITE_CONFIG_MMAP_SIZE, static_cast<sqlite3_int64>(0),
                 static_cast<sqlite3_int64>(0));
}

// --- [SECTION] screenshot -------------------------------------------------------------

Image render_view(const ShotOptions& options) {
  require_display();
  const auto panel = parse_panel(options.view);
  if (!panel)
    throw OptionError(std::string("--view ") + options.view + ": expected one of " + panel_names());
  if (options.width < 320 || options.height < 240 || options.width > 8192 || options.height > 8192)
    throw OptionError("--size: expected WIDTHxHEIGHT between 320x240 and 8192x8192");
  if (options.mask_zoom > 96) throw OptionError("--mask-zoom: at most 96 pixels per position");
  // -1 means "the default"; any other negative number names nothing.
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"--run", options.run},
                                    {"--step", options.step},
                                    {"--layer", options.layer},
                                    {"--head", options.head},
                                    {"--chunk", options.chunk}})
    if (value < -1)
      throw OptionError(std::string(name) + " " + std::to_string(value) +
                        ": expected a number >= 0");
  GuiContext context({options.width, options.height, false, "ssa-workbench screenshot"});
  OffscreenTarget target(options.width, options.height);
  std::unique_ptr<WorkbenchUi> ui;
  if (!options.results.empty()) {
    if (*panel != Panel::kEvaluation)
      throw OptionError("--view " + options.view + ": a results folder shows only the evaluation");
    ui = std::make_unique<WorkbenchUi>(std::make_unique<Worker>());
    const std::string error = ui->open_results(options.results);
    if (!error.empty()) throw EvalFormatError(error);
  } else if (options.recording.empty()) {
    // The first screen as the window opens on it: nothing loaded but the demo list.
    if (*panel != Panel::kStart)
      throw OptionError("--view " + options.view + ": needs a recording (only demos needs none)");
    ui = std::make_unique<WorkbenchUi>(std::make_unique<Worker>());
    ui->set_panel(Panel::kStart);
  } else {
    if (*panel == Panel::kEvaluation)
      throw OptionError(
          "--view evaluation: shows a results folder (what `eval` wrote), not a "
          "recording");
    ui = open_loaded(options.recording);
    apply_options(*ui, options);
    // After the run is chosen: choosing it may move the panel (a training
    // run opens on its curves, a run shown leaves the demos), and --view wins.
    ui->set_panel(*panel);
  }
  // Frames until every load the views asked for has landed: each frame may
  // ask for more (a series for the selected chunk, a raster for the new size).
  for (int i = 0; i < 6; ++i) {
    render_one(context, *ui, target, 0.0f);
    ui->wait_idle();
  }
  render_one(context, *ui, target, 0.0f);
  return Image{options.width, options.height, target.read_rgba()};
}

Image render_chart(const std::string& folder, int width, int height) {
  require_display();
  if (width < 320 || height < 240 || width > 8192 || height > 8192)
    throw OptionError("--size: expected WIDTHxHEIGHT between 320x240 and 8192x8192");
  const EvalResults results = load_eval_results(folder);
  const EvalChart chart = make_eval_chart(results);
  GuiContext context({width, height, false, "ssa-workbench chart"});
  OffscreenTarget target(width, height);
  // Two frames: the first lays the fonts out.
  for (int i = 0; i < 2; ++i) {
    context.begin_frame(width, height);
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->Pos);
    ImGui::SetNextWindowSize(viewport->Size);
    ImGui::Begin("chart", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings);
    ImGui::PushFont(theme::fonts().title);
    ImGui::TextUnformatted("Evaluation");
    ImGui::PopFont();
    // The whole command, wrapped: a cut one would not say what was run.
    ImGui::PushStyleColor(ImGuiCol_Text, theme::text_dim());
    ImGui::TextWrapped("%s", (results.command.empty() ? results.folder : results.command).c_str());
    ImGui::PopStyleColor();
    const ImVec2 at = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
    draw_eval_chart(ImGui::GetWindowDrawList(), at, ImVec2(at.x + avail.x, at.y + avail.y), chart,
                    false);
    ImGui::End();
    target.bind();
    context.render_frame(width, height);
    target.unbind();
  }
  return Image{width, height, target.read_rgba()};
}

void write_screenshot(const ShotOptions& options, const std::string& out) {
  const Image image = render_view(options);
  write_png(out, image.width, image.height, image.rgba);
}

// --- [SECTION] benchmarks ----------------------------------------------------------------

FrameTimes bench_frames(const std::string& recording, int frames, int width, int height) {
  require_display();
  BenchWorkbench bench(recording, width, height, "ssa-workbench bench");
  auto& ui = bench.ui;
  FrameTimes times;
  times.open_ms = bench.open_ms;
  auto run = ui->worker().run(ui->state().run);
  if (run)
    times.positions = run->layout ? run->layout->length() : 0,
    times.steps = static_cast<int64_t>(run->steps.size());
  ui->state().playing = true;
  ui->state().steps_per_second = 60.0f;  // one step per 1/60 s frame
  Samples samples;
  // The mask view cycles through its levels of detail while the steps play:
  // fitted (block texture), a screen raster, and cells drawn one by one.
  const float zooms[] = {0.0f, 0.05f, 0.5f, 6.0f, 14.0f};
  const int64_t centre = run && run->layout ? run->layout->prefix_length() / 2 : 0;
  times.first_frame_ms =
      timed_frame(bench.context, *ui, bench.target, nullptr);  // startup, reported apart
  times.rss_start_kb = resident_kb().first;
  for (int i = 0; i < frames; ++i) {
    if (i % 60 == 0 && run && run->layout) {
      const float zoom = zooms[(i / 60) % 5];
      if (zoom > 0)
        ui->focus_mask(centre + i * 7, zoom);
      else
        ui->fit_mask();
    }
    timed_frame(bench.context, *ui, bench.target, &samples);
    if (!ui->state().playing && run && !run->steps.empty())
      ui->state().playing = true, ui->state().step = run->steps.front();
  }
  times.frames = frames;
  std::tie(times.rss_end_kb, times.rss_peak_kb) = resident_kb();
  sort_and_sum(samples, &times);
  return times;
}

FrameTimes bench_live(const std::string& recording, const std::function<void()>& grow,
                      int refreshes, int width, int height) {
  require_display();
  BenchWorkbench bench(recording, width, height, "ssa-workbench bench --live");
  auto& ui = bench.ui;
  FrameTimes times;
  times.open_ms = bench.open_ms;
  Samples samples;
  constexpr int kWarmUp = 20;
  for (int i = 0; i < refreshes; ++i) {
    grow();
    // The Worker extends its snapshots on its own thread; the frame that
    // follows sees them (as the window does, about twice a second).
    ui->worker().refresh_now();
    ui->wait_idle();
    auto run = ui->worker().run(ui->state().run);
    if (run && !run->steps.empty()) ui->state().step = run->steps.back();
    timed_frame(bench.context, *ui, bench.target, &samples);
    if (i + 1 == kWarmUp) times.memory_start = memory_now();
    if (i + 1 == refreshes / 2) times.memory_half = memory_now();
    if (run)
      times.positions = run->layout ? run->layout->length() : 0,
      times.steps = static_cast<int64_t>(run->steps.size());
  }
  times.frames = refreshes;
  times.memory_end = memory_now();
  times.rss_start_kb = times.memory_start.rss_kb;
  std::tie(times.rss_end_kb, times.rss_peak_kb) = resident_kb();
  sort_and_sum(samples, &times);
  return times;
}

}  // namespace ssa::gui
