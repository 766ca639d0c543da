// What both recording fuzz targets do with a file: every Reader getter a
// viewer uses, over a bounded walk of the steps and layers (the fuzzer wants
// many inputs per second). Throws what the Reader throws.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "sessions/reader.h"

namespace ssa::fuzz {

inline void read_recording(const std::string& path) {
  sessions::Reader r(path);
  for (const sessions::RunInfo& run : r.runs()) {
    r.layout(run.id);
    r.mask(run.id);
    r.train_steps(run.id);
    r.decode_steps(run.id);
    const sessions::StepRange detail = r.detail_step_range(run.id);
    const int32_t layers = std::min(r.num_layers(run.id), 8);
    for (int64_t step = detail.first;
         detail.count > 0 && step <= detail.last && step < detail.first + 8; ++step) {
      for (int32_t layer = 0; layer < layers; ++layer) r.layer_step(run.id, step, layer);
      r.unfolds_at(run.id, step);
    }
    r.score_series(run.id, 0, 0, 0, 4);
    r.unfolds(run.id, 0, 1);
    r.bookmarks(run.id);
  }
  r.table_sizes();
}

}  // namespace ssa::fuzz
