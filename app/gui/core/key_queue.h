// KeyQueue: the keys the workbench reacts to, counted between frames.
//
// ImGui 1.86 keeps only whether a key is down: a press and release (or an
// auto-repeat) that both land between two frames is lost, and a held key
// repeats at the frame rate, not the keyboard's. The window's key callback
// (core/gui_context.cpp) counts every press and repeat here instead; the
// workbench takes the counts once per frame. Offscreen runs and tests push
// keys directly.
#pragma once

#include <array>

namespace ssa::gui {

enum class Key {
  kLeft,
  kRight,
  kHome,
  kEnd,
  kPageUp,
  kPageDown,
  kSpace,
  kEscape,
  kEnter,
  kF1,
  kF3,
  kCtrlF,
  kCtrlO,
  kCtrlQ,
  kCount
};

class KeyQueue {
 public:
  void press(Key key) { ++pending_[static_cast<size_t>(key)]; }
  // Frame start: the presses since the previous frame become this frame's.
  void next_frame() {
    frame_ = pending_;
    pending_.fill(0);
  }
  // Presses (and repeats) of `key` in this frame.
  int count(Key key) const { return frame_[static_cast<size_t>(key)]; }
  bool pressed(Key key) const { return count(key) > 0; }
  // Marks this frame's presses of `key` as handled (a dialog took Escape).
  void consume(Key key) { frame_[static_cast<size_t>(key)] = 0; }

 private:
  std::array<int, static_cast<size_t>(Key::kCount)> pending_{}, frame_{};
};

// The process's queue (one window per process).
KeyQueue& key_queue();

}  // namespace ssa::gui
