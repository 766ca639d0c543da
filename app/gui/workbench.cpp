// The interactive window loop and the headless summary (see workbench.h).
#include "app/gui/workbench.h"

#include <GLFW/glfw3.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "app/gui/core/gui_context.h"
#include "app/gui/core/posix_files.h"
#include "app/gui/workbench_ui.h"
#include "sessions/reader.h"

#ifndef SSA_SOURCE_ASSETS
#define SSA_SOURCE_ASSETS "assets"
#endif

namespace ssa::gui {

std::string default_demo_path() {
  if (const char* env = std::getenv("SSA_DEMO_RECORDING"); env && *env) return env;
  const std::string local = "assets/demo/demo.ssarec";
  if (files::exists(local)) return local;
  return std::string(SSA_SOURCE_ASSETS) + "/demo/demo.ssarec";
}

void print_headless_summary(const std::string& path, std::FILE* out) {
  sessions::Reader reader(path);
  const auto runs = reader.runs();
  fmt::print(out, "{}: recording format {}, {} run(s), {:.1f} MB\n", path, reader.format_version(),
             runs.size(), reader.file_bytes() / 1e6);
  for (const auto& run : runs) {
    fmt::print(out, "run #{} \"{}\" ({}): {} layers, {} score heads, {} level(s){}\n", run.id,
               run.name, run.kind, run.num_layers, run.num_score_heads, run.num_levels,
               run.finished ? "" : ", unfinished");
    if (auto layout = reader.layout(run.id)) {
      int64_t gists = 0, metas = 0;
      for (int8_t role : layout->roles) gists += role == 1, metas += role > 1;
      fmt::print(out, "  layout: {} positions ({} prefix, {} sink), {} gists, {} meta-gists; {}\n",
                 layout->length(), layout->prefix_length, layout->sink_length, gists, metas,
                 layout->settings_json);
    }
    if (auto mask = reader.mask(run.id)) {
      std::map<int, int64_t> kinds;
      for (uint8_t k : mask->kinds) kinds[k]++;
      fmt::print(out,
                 "  mask: blocks of {}, p {}: {} full, {} partial (gists), {} partial (mixed)\n",
                 mask->block_size, mask->previous_chunks, kinds[1], kinds[2], kinds[3]);
    }
    const auto train = reader.train_step_range(run.id);
    if (train.count > 0) {
      const auto steps = reader.train_steps(run.id, train.last, train.last);
      fmt::print(out, "  training: {} steps, last loss {:.4f}\n", train.count,
                 steps.empty() ? 0.0 : steps.back().loss);
    }
    const auto decode = reader.decode_step_range(run.id);
    if (decode.count > 0) {
      const auto steps = reader.decode_steps(run.id);
      std::string text;
      double seconds = 0;
      int64_t scored = 0, read = 0, answered = 0, with_answer = 0;
      for (const auto& s : steps) {
        text += s.text;
        seconds += s.seconds;
        scored += s.keys_scored;
        read += s.keys_read;
        if (s.answer_unfolded >= 0) with_answer++, answered += s.answer_unfolded;
      }
      fmt::print(
          out, "  decode: {} steps, {:.2f} ms/step, {:.0f} keys scored and {:.0f} read per step\n",
          decode.count, 1e3 * seconds / steps.size(), double(scored) / steps.size(),
          double(read) / steps.size());
      if (with_answer > 0)
        fmt::print(out, "  answer chunk unfolded at {} of {} steps\n", answered, with_answer);
      if (text.size() > 160) text = text.substr(0, 157) + "...";
      fmt::print(out, "  generated: \"{}\"\n", text);
    }
    const auto detail = reader.detail_step_range(run.id);
    if (detail.count > 0) {
      const auto unfolds = reader.unfolds_at(run.id, detail.last);
      std::string chunks;
      int listed = 0, level0 = 0;
      for (const auto& u : unfolds) {
        if (u.level != 0) continue;
        ++level0;
        if (listed++ < 16) chunks += (chunks.empty() ? "" : " ") + std::to_string(u.id);
      }
      if (level0 > 16) chunks += fmt::format(" (+{} more)", level0 - 16);
      fmt::print(out, "  detail: steps {}..{}; chunks unfolded at step {}: {}\n", detail.first,
                 detail.last, detail.last, chunks.empty() ? "none" : chunks);
    }
  }
}

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
  const std::string path = default_demo_path();
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
      print_headless_summary(path, stdout);
      return 0;
    } catch (const std::exception& e) {
      fmt::print(stderr, "ssa-workbench: {}\n", e.what());
      return 1;
    }
  }
  return run_workbench(path);
}

}  // namespace ssa::gui
