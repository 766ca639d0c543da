// libFuzzer target: bytes as a model's config.json through parse_model_config.
// Anything but a clean std::runtime_error is a bug.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ssa::parse_model_config(text, "config.json");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
