// Texture (see texture.h).
#include "app/gui/core/texture.h"

#include <GL/gl.h>

#include <cassert>

namespace ssa::gui {

Texture::~Texture() {
  if (id_) glDeleteTextures(1, &id_);
}

void Texture::upload(int width, int height, const std::vector<uint32_t>& rgba, bool smooth) {
  assert(rgba.size() == static_cast<size_t>(width) * height);
  allocate_and_fill(width, height, rgba.data(), smooth);
}

void Texture::allocate(int width, int height, bool smooth) {
  allocate_and_fill(width, height, nullptr, smooth);
}

void Texture::update_rows(int first, int last, const std::vector<uint32_t>& rgba) {
  if (!id_ || first >= last) return;
  assert(rgba.size() >= static_cast<size_t>(width_) * last);
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, first, width_, last - first, GL_RGBA, GL_UNSIGNED_BYTE,
                  rgba.data() + static_cast<size_t>(first) * width_);
}

void Texture::allocate_and_fill(int width, int height, const uint32_t* rgba, bool smooth) {
  if (!id_) glGenTextures(1, &id_);
  glBindTexture(GL_TEXTURE_2D, id_);
  const GLint filter = smooth ? GL_LINEAR : GL_NEAREST;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  width_ = width;
  height_ = height;
}

}  // namespace ssa::gui
