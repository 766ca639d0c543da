// Offscreen rendering (see screenshot.h): a hidden GLFW window provides the
// OpenGL context, frames render into an OffscreenTarget and are read back.
#include "app/gui/screenshot.h"

#include <imgui.h>

#include <time.h>
#include <algorithm>

#include <chrono>
#include <map>
#include <stdexcept>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/offscreen_target.h"
#include "app/gui/core/png_writer.h"
#include "app/gui/workbench_ui.h"

namespace ssa::gui {
namespace {

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

}  // namespace

Image render_view(const ShotOptions& options) {
  require_display();
  const auto panel = parse_panel(options.view);
  if (!panel)
    throw std::runtime_error("unknown view '" + options.view + "' (expected " + panel_names() +
                             ")");
  if (options.width < 320 || options.height < 240 || options.width > 8192 || options.height > 8192)
    throw std::runtime_error("image size must be between 320x240 and 8192x8192");
  auto model = std::make_unique<SessionModel>(options.recording);
  GuiContext context({options.width, options.height, false, "ssa-workbench screenshot"});
  OffscreenTarget target(options.width, options.height);
  WorkbenchUi ui(std::move(model));
  ui.set_panel(*panel);
  UiState& state = ui.state();
  if (options.run >= 0) {
    if (!ui.model().run(options.run))
      throw std::runtime_error("the recording has no run #" + std::to_string(options.run));
    ui.select_run(options.run);
  }
  const RunData* run = ui.model().run(state.run_id);
  if (options.step >= 0) state.step = options.step;
  if (run) {
    state.layer = std::clamp(options.layer, 0, std::max(0, run->num_layers - 1));
    if (options.head >= run->num_heads && run->num_heads > 0)
      throw std::runtime_error("head " + std::to_string(options.head) +
                               " out of range (the run has " + std::to_string(run->num_heads) +
                               ")");
  }
  state.head = options.head;
  if (options.chunk >= 0) state.selected_chunk = options.chunk;
  if (options.mask_zoom > 0 && run && run->layout) {
    if (options.mask_zoom > 96) throw std::runtime_error("--mask-zoom must be at most 96 pixels");
    const int32_t chunk = state.selected_chunk;
    const int64_t pos = chunk >= 0 && chunk < run->index.num_chunks()
                            ? run->index.spans(0)[chunk].gist
                            : run->index.prefix_length() / 2;
    ui.focus_mask(pos, options.mask_zoom);
  }
  // Frames until every load the views asked for has landed: each frame may
  // ask for more (a series for the selected chunk, a raster for the new size).
  for (int i = 0; i < 6; ++i) {
    render_one(context, ui, target, 0.0f);
    ui.wait_idle();
  }
  render_one(context, ui, target, 0.0f);
  Image image{options.width, options.height, target.read_rgba()};
  return image;
}

void write_screenshot(const ShotOptions& options, const std::string& out) {
  const Image image = render_view(options);
  write_png(out, image.width, image.height, image.rgba);
}

FrameTimes bench_frames(const std::string& recording, int frames, int width, int height) {
  require_display();
  using Clock = std::chrono::steady_clock;
  FrameTimes times;
  const auto open_start = Clock::now();
  auto model = std::make_unique<SessionModel>(recording);
  times.open_ms = std::chrono::duration<double, std::milli>(Clock::now() - open_start).count();
  GuiContext context({width, height, false, "ssa-workbench bench"});
  OffscreenTarget target(width, height);
  WorkbenchUi ui(std::move(model));
  const RunData* run = ui.model().run(ui.state().run_id);
  if (run) times.positions = run->index.length(), times.steps = run->detail_steps.count;
  ui.state().playing = true;
  ui.state().steps_per_second = 60.0f;  // one step per 1/60 s frame
  // CPU time of this (the GUI) thread: what the frame build costs, apart from
  // the workers and other processes that share the cores.
  auto thread_ms = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  std::vector<double> ms, wall;
  std::map<std::string, std::vector<double>> part_ms;
  // The mask view cycles through its levels of detail while the steps play:
  // fitted (block texture), a screen raster, and cells drawn one by one.
  const float zooms[] = {0.0f, 0.05f, 0.5f, 6.0f, 14.0f};
  const int64_t centre = run && run->layout ? run->index.prefix_length() / 2 : 0;
  for (int i = -1; i < frames; ++i) {  // frame -1: startup, reported apart
    if (i >= 0 && i % 60 == 0 && run && run->layout) {
      const float zoom = zooms[(i / 60) % 5];
      if (zoom > 0)
        ui.focus_mask(centre + i * 7, zoom);
      else
        ui.fit_mask();
    }
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
    const auto start = Clock::now();
    const double cpu_start = thread_ms();
    context.begin_frame(width, height);
    ui.frame(1.0f / 60.0f);
    ImGui::Render();
    const double frame_ms = thread_ms() - cpu_start;
    const double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i < 0) {
      times.first_frame_ms = frame_ms;
    } else {
      ms.push_back(frame_ms);
      wall.push_back(wall_ms);
      for (const auto& part : ui.last_frame_parts()) part_ms[part.name].push_back(part.ms);
    }
    // The GPU side is not part of the frame build; draw it so the pipeline stays honest.
    target.bind();
    context.draw_frame(width, height);
    target.unbind();
    if (!ui.state().playing) ui.state().playing = true, ui.state().step = 0;
  }
  std::sort(ms.begin(), ms.end());
  times.frames = frames;
  if (!ms.empty()) {
    times.median_ms = ms[ms.size() / 2];
    times.p95_ms = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
    times.max_ms = ms.back();
  }
  std::sort(wall.begin(), wall.end());
  if (!wall.empty()) times.wall_median_ms = wall[wall.size() / 2], times.wall_max_ms = wall.back();
  for (auto& [name, values] : part_ms) {
    std::sort(values.begin(), values.end());
    times.parts.push_back({name, values[values.size() / 2], values.back()});
  }
  return times;
}

}  // namespace ssa::gui
