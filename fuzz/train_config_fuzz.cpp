// libFuzzer target: bytes as a training config through parse_train_config.
// Anything but a clean std::runtime_error is a bug.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ssa::parse_train_config(text, "train.json");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
