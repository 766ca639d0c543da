// OffscreenTarget (see offscreen_target.h). GL entry points beyond 1.1 come
// from libGL's (glvnd) exported prototypes, kept out of the ImGui loader's way.
#define GL_GLEXT_PROTOTYPES 1
#include "app/gui/core/offscreen_target.h"

#include <GL/gl.h>
#include <GL/glext.h>

#include <cstring>
#include <stdexcept>

namespace ssa::gui {

OffscreenTarget::OffscreenTarget(int width, int height) : width_(width), height_(height) {
  glGenTextures(1, &colour_);
  glBindTexture(GL_TEXTURE_2D, colour_);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glGenFramebuffers(1, &framebuffer_);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, colour_, 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    glDeleteFramebuffers(1, &framebuffer_);
    glDeleteTextures(1, &colour_);
    throw std::runtime_error("cannot create an offscreen framebuffer of that size");
  }
}

OffscreenTarget::~OffscreenTarget() {
  glDeleteFramebuffers(1, &framebuffer_);
  glDeleteTextures(1, &colour_);
}

void OffscreenTarget::bind() {
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
}
void OffscreenTarget::unbind() {
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

std::vector<uint8_t> OffscreenTarget::read_rgba() const {
  const size_t row = static_cast<size_t>(width_) * 4;
  std::vector<uint8_t> bottom_up(row * height_), top_down(row * height_);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width_, height_, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  // OpenGL's first row is the bottom one; PNG's is the top one.
  for (int y = 0; y < height_; ++y)
    std::memcpy(&top_down[y * row], &bottom_up[(height_ - 1 - y) * row], row);
  return top_down;
}

}  // namespace ssa::gui
