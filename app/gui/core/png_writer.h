// Writes RGBA pixels (top row first) as a PNG file. Throws std::runtime_error
// naming the file when it cannot be written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::gui {

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba);

}  // namespace ssa::gui
