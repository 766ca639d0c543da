// VirtualDisplay: a private Xvfb server for offscreen rendering on machines
// without a display (tests, `screenshot`, `bench gui`). Xvfb picks a free
// display number itself (-displayfd), so concurrent runs never collide the way
// `xvfb-run -a` can; DISPLAY is set for this process while it lives. The
// server dies with the thread that started it, also when that thread's
// process crashes or is killed (PR_SET_PDEATHSIG): start it from the main
// thread.
#pragma once

#include <sys/types.h>

#include <string>

namespace ssa::gui {

class VirtualDisplay {
 public:
  // Starts Xvfb with one screen of width x height; throws std::runtime_error
  // with a one-line reason when Xvfb is missing or does not come up.
  VirtualDisplay(int width, int height);
  ~VirtualDisplay();  // stops the server
  VirtualDisplay(const VirtualDisplay&) = delete;
  VirtualDisplay& operator=(const VirtualDisplay&) = delete;

  const std::string& name() const { return name_; }  // ":N"
  static bool installed();                           // Xvfb is on PATH

 private:
  pid_t pid_ = -1;
  std::string name_;
};

}  // namespace ssa::gui
