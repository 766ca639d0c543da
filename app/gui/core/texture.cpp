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
  if (id_) glDeleteTextures(1, &id_);  // freed by the driver once no frame uses it
  glGenTextures(1, &id_);
  glBindTexture(GL_TEXTURE_2D, id_);
  const GLint filter = smooth ? GL_LINEAR : GL_NEAREST;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
               rgba.data());
  width_ = width;
  height_ = height;
}

}  // namespace ssa::gui
