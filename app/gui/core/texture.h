// Texture: an RGBA8 OpenGL texture that views draw with ImGui::Image /
// ImDrawList::AddImage. Pixels are produced off the frame path (by the
// session model's workers); only the upload happens on the GUI thread.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <vector>

namespace ssa::gui {

class Texture {
 public:
  Texture() = default;
  ~Texture();
  Texture(const Texture&) = delete;
  Texture& operator=(const Texture&) = delete;

  // Uploads width x height RGBA pixels, top row first, into a new texture
  // object: rewriting one the previous frame still draws from would make the
  // driver wait for that frame to finish. `smooth`: linear filtering instead
  // of nearest (masks and heatmaps, whose cells must stay crisp).
  void upload(int width, int height, const std::vector<uint32_t>& rgba, bool smooth = false);
  bool valid() const { return id_ != 0; }
  ImTextureID id() const { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(id_)); }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  unsigned id_ = 0;
  int width_ = 0, height_ = 0;
};

}  // namespace ssa::gui
