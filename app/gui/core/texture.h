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

  // (Re)uploads width x height RGBA pixels, top row first. `smooth`: linear
  // filtering (plots) instead of nearest (masks, where cells must stay crisp).
  void upload(int width, int height, const std::vector<uint32_t>& rgba, bool smooth = false);
  // Allocates width x height texels without data (filled later by update_rows).
  void allocate(int width, int height, bool smooth = false);
  // Replaces rows [first, last) from an image of the texture's width, so a
  // progressively built image costs only its new rows per upload.
  void update_rows(int first, int last, const std::vector<uint32_t>& rgba);
  bool valid() const { return id_ != 0; }
  ImTextureID id() const { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(id_)); }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  void allocate_and_fill(int width, int height, const uint32_t* rgba, bool smooth);
  unsigned id_ = 0;
  int width_ = 0, height_ = 0;
};

}  // namespace ssa::gui
