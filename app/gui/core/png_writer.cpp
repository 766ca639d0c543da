// PNG output through stb_image_write (implemented by Debian's libstb).
#include "app/gui/core/png_writer.h"

#include <stdexcept>

#include <stb_image_write.h>

namespace ssa::gui {

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4)
    throw std::runtime_error("internal: pixel buffer does not match " + std::to_string(width) +
                             "x" + std::to_string(height));
  if (!stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4))
    throw std::runtime_error("cannot write " + path);
}

}  // namespace ssa::gui
