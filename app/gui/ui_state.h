// UiState: what the user has chosen, shared by every view so that a click in
// one view (a chunk, a step) shows in all of them. Runs are named by RunId
// (file and run), never by pointer: a live refresh replaces the snapshots.
#pragma once

#include <cstdint>
#include <string>

#include "app/gui/model/run_id.h"

namespace ssa::gui {

// What fills the window's main area: the workbench grid, or one view alone
// (maximised, the Compare / Training / Bookmarks pages, screenshots), or the
// first screen's demos.
enum class Panel {
  kStart,
  kAll,
  kMask,
  kStrip,
  kTimeline,
  kHierarchy,
  kTraining,
  kCompare,
  kBookmarks,
  kEvaluation
};

struct UiState {
  RunId run;
  int64_t step = 0;  // current decode step (transport), a step number of the run
  int32_t layer = 0;
  int32_t head = -1;            // query head or KV group; -1 = all heads
  int32_t selected_chunk = -1;  // chunk id chosen by a click, -1 none
  RunId compare_run;            // second run of the compare view (any open file)
  int32_t timeline_level = 0;   // gist level shown by the score timeline
  Panel panel = Panel::kAll;

  // Transport.
  bool playing = false;
  float steps_per_second = 8.0f;
  double play_clock = 0;  // seconds accumulated towards the next step

  std::string status;     // last message for the status bar
  std::string live_note;  // live mode: what the recorder process is doing
  bool status_is_error = false;
  bool open_dialog = false;  // the open-recording dialog was asked for
  bool help_open = false;    // the help overlay (F1 or ?)
  bool focus_search = false;
};

}  // namespace ssa::gui
