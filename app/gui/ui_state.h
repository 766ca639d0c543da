// UiState: what the user has chosen, shared by every view so that a click in
// one view (a chunk, a step) shows in all of them.
#pragma once

#include <cstdint>
#include <string>

namespace ssa::gui {

struct UiState {
  int64_t run_id = 0;
  int64_t step = 0;  // current decode step (transport)
  int32_t layer = 0;
  int32_t head = -1;            // query head or KV group; -1 = all heads
  int32_t selected_chunk = -1;  // chunk id chosen by a click, -1 none
  int64_t compare_run = -1;     // second run of the compare view, -1 none
  int32_t timeline_level = 0;   // gist level shown by the score timeline

  // Transport.
  bool playing = false;
  float steps_per_second = 8.0f;
  double play_clock = 0;  // seconds accumulated towards the next step

  std::string status;         // last message for the status bar
  bool open_browser = false;  // the session browser was asked for
};

}  // namespace ssa::gui
