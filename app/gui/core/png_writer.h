// Writes RGBA pixels (top row first) as a PNG file, atomically
// (app/cli/atomic_output.h: a temporary file beside it, fsynced and renamed):
// a failure leaves nothing behind, and a reader never sees half a file.
// Throws cli::InputError naming `flag` and the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::gui {

void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba,
               const std::string& flag = "--out");

}  // namespace ssa::gui
