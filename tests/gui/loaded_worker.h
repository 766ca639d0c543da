// A Worker that has loaded one recording (for tests of the data side).
#pragma once

#include <memory>
#include <string>

#include "app/gui/model/worker.h"

namespace ssa::gui::testing {

struct Loaded {
  explicit Loaded(const std::string& path) {
    worker.open(path);
    worker.wait_idle();
    worker.poll();
  }
  std::shared_ptr<const RunData> run(int64_t id) { return worker.run({0, id}); }
  std::shared_ptr<const RunData> first() { return worker.run(worker.default_run()); }
  Worker worker;
};

}  // namespace ssa::gui::testing
