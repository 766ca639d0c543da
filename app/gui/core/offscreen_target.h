// OffscreenTarget: an OpenGL framebuffer object to render a frame into and
// read back as RGBA pixels, so screenshots do not depend on a visible window.
#pragma once

#include <cstdint>
#include <vector>

namespace ssa::gui {

class OffscreenTarget {
 public:
  // Needs a current OpenGL 3.3 context; throws std::runtime_error if the
  // framebuffer cannot be completed.
  OffscreenTarget(int width, int height);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;

  void bind();    // render into it
  void unbind();  // back to the window's framebuffer
  // Top row first, 4 bytes per pixel.
  std::vector<uint8_t> read_rgba() const;
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  int width_, height_;
  unsigned framebuffer_ = 0, colour_ = 0;
};

}  // namespace ssa::gui
