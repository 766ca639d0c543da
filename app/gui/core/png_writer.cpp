// PNG output through stb_image_write (implemented by Debian's libstb).
#include "app/gui/core/png_writer.h"

#include <stdexcept>

#include <stb_image_write.h>

#include "app/cli/atomic_output.h"
#include "app/cli/commands.h"

namespace ssa::gui {

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba,
               const std::string& flag) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4)
    throw std::logic_error("internal: pixel buffer does not match " + std::to_string(width) + "x" +
                           std::to_string(height));
  cli::write_atomically(path, flag, [&](const std::string& temporary) {
    if (!stbi_write_png(temporary.c_str(), width, height, 4, rgba.data(), width * 4))
      throw cli::InputError(flag + " " + path + ": cannot write the PNG (disk full?)");
  });
}

}  // namespace ssa::gui
