// libFuzzer target: bytes as a .ssarec file, read through sessions::Reader
// with every getter a viewer uses. Anything but a clean sessions::Error is a
// bug (a crash, an ASan report, another exception type).
// Seeds: the shipped demo and small recordings (scripts/fuzz.sh).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz/read_recording.h"

namespace {

std::string scratch_path() {
  static const std::string path = "/tmp/ssa_fuzz_reader_" + std::to_string(::getpid()) + ".ssarec";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = scratch_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    ssa::fuzz::read_recording(path);
  } catch (const ssa::sessions::Error&) {
    // A refused file: what a bad input must give.
  }
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return 0;
}
