// libFuzzer target: bytes as a model.safetensors file (8-byte header length,
// JSON header, tensor bytes) through load_safetensors. Anything but a clean
// std::runtime_error is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "engine/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/tmp/ssa_fuzz_safetensors_" + std::to_string(::getpid()) + ".safetensors";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    std::map<std::string, std::string> metadata;
    ssa::load_safetensors(path, &metadata);
  } catch (const std::runtime_error&) {
  }
  std::remove(path.c_str());
  return 0;
}
