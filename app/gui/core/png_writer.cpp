// PNG output through stb_image_write (implemented by Debian's libstb).
#include "app/gui/core/png_writer.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include <stb_image_write.h>

namespace ssa::gui {

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4)
    throw std::runtime_error("internal: pixel buffer does not match " + std::to_string(width) +
                             "x" + std::to_string(height));
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  if (!stbi_write_png(temporary.c_str(), width, height, 4, rgba.data(), width * 4)) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write " + path);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace ssa::gui
