// libFuzzer target: bytes as a .ssarec file, read through sessions::Reader
// with every getter a viewer uses. Anything but a clean sessions::Error is a
// bug (a crash, an ASan report, another exception type).
// Seeds: the shipped demo and small recordings (scripts/fuzz.sh).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "sessions/reader.h"

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
    ssa::sessions::Reader r(path);
    for (const ssa::sessions::RunInfo& run : r.runs()) {
      r.layout(run.id);
      r.mask(run.id);
      r.train_steps(run.id);
      r.decode_steps(run.id);
      r.train_step_range(run.id);
      const ssa::sessions::StepRange detail = r.detail_step_range(run.id);
      const int32_t layers = r.num_layers(run.id);
      // A bounded walk: the fuzzer wants many inputs per second.
      for (int64_t step = detail.first;
           detail.count > 0 && step <= detail.last && step < detail.first + 8; ++step) {
        for (int32_t layer = 0; layer < layers && layer < 8; ++layer)
          r.layer_step(run.id, step, layer);
        r.unfolds_at(run.id, step);
      }
      r.score_series(run.id, 0, 0, 0, 0);
      r.unfolds(run.id, 0, 0);
      r.bookmarks(run.id);
    }
    r.table_sizes();
  } catch (const ssa::sessions::Error&) {
    // A refused file: what a bad input must give.
  }
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return 0;
}
