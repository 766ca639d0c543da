// Offscreen rendering of workbench views: the `screenshot` command, the
// `bench gui` command and the GUI tests. Needs an X display (Xvfb will do);
// the drawing code is the window's own (WorkbenchUi).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssa::gui {

struct ShotOptions {
  std::string recording;     // "" only for view "demos" (the first screen)
  std::string results;       // an evaluation results folder instead (view "evaluation")
  std::string view = "all";  // see panel_names()
  int64_t run = -1;          // -1: the default run
  int64_t step = -1;         // -1: the run's first step
  int32_t layer = -1;        // -1: the run's first selecting layer
  int32_t head = -1;         // -1: all heads
  int32_t chunk = -1;        // selected chunk, -1: the task's answer chunk if any
  float mask_zoom = 0;       // > 0: the mask zoomed to this many pixels per position at the chunk
  int width = 1600, height = 1000;
};

// An option that names something the recording does not have (a step, a
// layer, a run out of range): the command exits 2 with this one line.
struct OptionError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // top row first
};

// Renders the settled view (every background load finished). Throws
// OptionError for options out of range, std::runtime_error /
// sessions::Error with a one-line message for unreadable recordings.
Image render_view(const ShotOptions& options);
// render_view() written as PNG to `out` (through a temporary file).
void write_screenshot(const ShotOptions& options, const std::string& out);

// The chart of an evaluation results folder alone (views.h: draw_eval_chart),
// as `ssa-workbench chart` writes it. Throws EvalFormatError for a folder
// that does not hold, OptionError for a size out of range.
Image render_chart(const std::string& folder, int width, int height);

struct FrameTimes {
  double open_ms = 0;                            // until the recording's runs are loaded
  double median_ms = 0, max_ms = 0, p95_ms = 0;  // GUI-thread CPU time to build one frame
  double wall_median_ms = 0, wall_max_ms = 0;    // the same in wall-clock time (includes waits)
  int frames = 0;
  double first_frame_ms = 0;  // startup: shaders, font atlas, first textures (not in the stats)
  int64_t positions = 0, steps = 0;
  int64_t rss_start_kb = 0, rss_end_kb = 0, rss_peak_kb = 0;  // resident memory (VmRSS, VmHWM)
  // bench_live: where the resident memory is, after 20 refreshes, half-way and at the end.
  struct Memory {
    int64_t rss_kb = 0;
    int64_t anon_kb = 0, file_kb = 0;  // RssAnon (heap, stacks), RssFile (mapped files, code)
    int64_t heap_kb = 0;               // malloc's bytes in use (mallinfo2), -1 unknown
  };
  Memory memory_start, memory_half, memory_end;
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
// Follows `recording` while `grow` (another writer) adds one step before
// each of `refreshes` frames: every frame sees a refresh with new data, and
// the view stays at the newest step. RSS is taken after the first 20
// refreshes (start) and after the last (end).
FrameTimes bench_live(const std::string& recording, const std::function<void()>& grow,
                      int refreshes, int width, int height);

// Resident memory of this process in kB: (current VmRSS, peak VmHWM).
std::pair<int64_t, int64_t> resident_kb();
// The same split into anonymous and file-backed pages, with malloc's heap in use.
FrameTimes::Memory memory_now();

// Recordings are read through SQLite's page cache, not memory-mapped: a
// mapped file counts in the process's resident memory once per reader, a
// 1 GB file up to a few GB. Call before the first recording is opened.
void read_recordings_without_mmap();

}  // namespace ssa::gui
