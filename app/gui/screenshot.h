// Offscreen rendering of workbench views: the `screenshot` command, the
// `bench gui` command and the GUI tests. Needs an X display (Xvfb will do);
// the drawing code is the window's own (WorkbenchUi).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::gui {

struct ShotOptions {
  std::string recording;
  std::string view = "all";  // see panel_names()
  int64_t run = -1;          // -1: the default run
  int64_t step = -1;         // -1: the run's first detail step
  int32_t layer = 0;
  int32_t head = -1;    // -1: all heads
  int32_t chunk = -1;   // selected chunk, -1: the task's answer chunk if any
  float mask_zoom = 0;  // > 0: the mask zoomed to this many pixels per position at the chunk
  int width = 1600, height = 1000;
};

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // top row first
};

// Renders the settled view (every background load finished). Throws
// std::runtime_error / sessions::Error with a one-line message.
Image render_view(const ShotOptions& options);
// render_view() written as PNG to `out`.
void write_screenshot(const ShotOptions& options, const std::string& out);

struct FrameTimes {
  double open_ms = 0;                            // opening the recording (SessionModel)
  double median_ms = 0, max_ms = 0, p95_ms = 0;  // GUI-thread CPU time to build one frame
  double wall_median_ms = 0, wall_max_ms = 0;    // the same in wall-clock time (includes waits)
  int frames = 0;
  double first_frame_ms = 0;  // startup: shaders, font atlas, first textures (not in the stats)
  int64_t positions = 0, steps = 0;
  struct Part {
    std::string name;
    double median_ms = 0, max_ms = 0;
  };
  std::vector<Part> parts;  // per view
};
// Builds `frames` frames of the full workbench while playing through the
// steps (one step per frame) and cycling the mask view through its levels of
// detail every 60 frames, timing the ImGui frame build (NewFrame to Render).
FrameTimes bench_frames(const std::string& recording, int frames, int width, int height);

}  // namespace ssa::gui
