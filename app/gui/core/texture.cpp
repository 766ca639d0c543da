// Texture (see texture.h).
#include "app/gui/core/texture.h"

#include <GL/gl.h>

#include <cassert>

namespace ssa::gui {

Texture::~Texture() {
  if (id_) glDeleteTextures(1, &id_);
}

void Texture::upload(int width, int height, const std::vector<uint32_t>& rgba) {
  assert(rgba.size() == static_cast<size_t>(width) * height);
  if (width <= 0 || height <= 0) return;
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  if (id_ && width == width_ && height == height_) {
    glBindTexture(GL_TEXTURE_2D, id_);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    return;
  }
  if (id_) glDeleteTextures(1, &id_);
  glGenTextures(1, &id_);
  glBindTexture(GL_TEXTURE_2D, id_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
               rgba.data());
  width_ = width;
  height_ = height;
}

}  // namespace ssa::gui
