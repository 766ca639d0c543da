// The interactive window loop (see workbench.h): frames while something moves,
// input events otherwise; PNG exports read back after the frame is drawn.
#include "app/gui/workbench.h"

#include <GLFW/glfw3.h>
#include <fmt/core.h>
#include <imgui.h>

#include <chrono>
#include <filesystem>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/png_writer.h"
#include "app/gui/screenshot.h"
#include "app/gui/workbench_ui.h"
#include "app/summary/recording_summary.h"

namespace ssa::gui {

int run_workbench(const WorkbenchOptions& options) {
  try {
    read_recordings_without_mmap();
    std::string title = "SSA Workbench";
    for (const auto& path : options.recordings) title += " - " + path;
    if (!options.results.empty()) title += " - " + options.results;
    GuiContext context({1600, 1000, true, title});
    auto worker = std::make_unique<Worker>();
    for (const auto& path : options.recordings) {
      worker->open(path, options.wait_for_files);
      OpenDialog::remember(path);
    }
    WorkbenchUi ui(std::move(worker));
    ui.set_follow(true);  // a recording still being written grows on screen
    ui.set_expected_steps(options.expected_steps);
    if (!options.results.empty()) {
      const std::string error = ui.open_results(options.results);
      if (!error.empty()) throw std::runtime_error(error);
    }
    if (options.recordings.empty() && options.results.empty()) ui.set_panel(Panel::kStart);
    auto last = std::chrono::steady_clock::now();
    while (!glfwWindowShouldClose(context.window()) && !ui.quit_requested()) {
      // Idle politely: wait for input unless something plays or loads.
      if (ui.state().playing)
        glfwPollEvents();
      else
        glfwWaitEventsTimeout(0.05);
      const auto now = std::chrono::steady_clock::now();
      const float dt = std::chrono::duration<float>(now - last).count();
      last = now;
      if (options.recorder_note) ui.state().live_note = options.recorder_note();
      int width = 0, height = 0;
      glfwGetFramebufferSize(context.window(), &width, &height);
      context.begin_frame(width, height);
      ui.frame(dt);
      context.render_frame(width, height);
      if (auto capture = ui.take_capture()) {
        const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
        const int x = static_cast<int>(capture->x * scale.x),
                  y = static_cast<int>(capture->y * scale.y);
        const int w = std::min(static_cast<int>(capture->width * scale.x), width - x);
        const int h = std::min(static_cast<int>(capture->height * scale.y), height - y);
        std::string error;
        try {
          write_png(capture->path, w, h, GuiContext::read_pixels(x, y, w, h, height), "export");
        } catch (const std::exception& e) {
          error = e.what();
        }
        ui.capture_finished(capture->path, error);
      }
      glfwSwapBuffers(context.window());
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ssa-workbench: {}\n", e.what());
    return 1;
  }
}

int run_default_workbench() {
  if (display_available()) return run_workbench(WorkbenchOptions{});  // the demos first
  const std::string path = summary::default_demo_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    fmt::print(stderr,
               "ssa-workbench: the demo recording {} is missing (set SSA_DEMO_RECORDING or run "
               "`ssa-workbench gui FILE.ssarec`)\n",
               path);
    return 1;
  }
  try {
    fmt::print(
        "No display: a headless summary of the demo recording (`ssa-workbench screenshot` "
        "renders views to PNG).\n");
    summary::print_headless_summary(path, stdout);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ssa-workbench: {}\n", e.what());
    return 1;
  }
}

}  // namespace ssa::gui
