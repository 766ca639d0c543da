// The interactive window loop (see workbench.h).
#include "app/gui/workbench.h"

#include "app/summary/recording_summary.h"

#include <GLFW/glfw3.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/posix_files.h"
#include "app/gui/workbench_ui.h"
#include "sessions/reader.h"

namespace ssa::gui {

int run_workbench(const std::string& path) {
  try {
    auto model = std::make_unique<SessionModel>(path);
    GuiContext context({1600, 1000, true, "SSA Workbench - " + path});
    WorkbenchUi ui(std::move(model));
    ui.set_follow(true);  // a recording still being written grows on screen
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
      int width = 0, height = 0;
      glfwGetFramebufferSize(context.window(), &width, &height);
      context.begin_frame(width, height);
      ui.frame(dt);
      context.render_frame(width, height);
      glfwSwapBuffers(context.window());
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ssa-workbench: {}\n", e.what());
    return 1;
  }
}

int run_default_workbench() {
  const std::string path = summary::default_demo_path();
  if (!files::exists(path)) {
    fmt::print(stderr,
               "ssa-workbench: the demo recording {} is missing (set SSA_DEMO_RECORDING or run "
               "`ssa-workbench gui FILE.ssarec`)\n",
               path);
    return 1;
  }
  if (!display_available()) {
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
  return run_workbench(path);
}

}  // namespace ssa::gui
