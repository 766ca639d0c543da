// Texture: an RGBA8 OpenGL texture that views draw with ImDrawList::AddImage.
// Pixels are produced off the frame path (by the Worker's threads); only the
// upload happens on the GUI thread.
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

  // Uploads width x height RGBA pixels, top row first, with nearest
  // filtering (mask and heatmap cells stay crisp). A texture of the same size
  // is rewritten in place, so that a picture replaced every frame (a live
  // timeline) costs no new storage.
  void upload(int width, int height, const std::vector<uint32_t>& rgba);
  bool valid() const { return id_ != 0; }
  ImTextureID id() const { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(id_)); }

 private:
  unsigned id_ = 0;
  int width_ = 0, height_ = 0;
};

}  // namespace ssa::gui
