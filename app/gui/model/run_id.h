// RunId: a run of one of the open recordings. Run ids are unique only within a
// file, so the workbench (several recordings at once) names a run by both.
#pragma once

#include <cstdint>
#include <tuple>

namespace ssa::gui {

struct RunId {
  int32_t file = -1;  // index of the recording in the Worker, -1: none
  int64_t run = 0;    // runs.id inside that recording

  bool valid() const { return file >= 0; }
  bool operator==(const RunId& o) const { return file == o.file && run == o.run; }
  bool operator!=(const RunId& o) const { return !(*this == o); }
  bool operator<(const RunId& o) const { return std::tie(file, run) < std::tie(o.file, o.run); }
};

}  // namespace ssa::gui
