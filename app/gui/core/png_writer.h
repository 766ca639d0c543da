// Writes RGBA pixels (top row first) as a PNG file, through a temporary file
// in the same folder renamed into place: a failure leaves nothing behind, and
// a reader never sees half a file. Throws std::runtime_error naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::gui {

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba);

}  // namespace ssa::gui
