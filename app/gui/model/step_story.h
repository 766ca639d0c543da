// Plain words for what the views draw: which layer unfolded which chunks at
// a step, whether the answer's chunk was among them, and what the levels of a
// hierarchy chose. Pure functions of the snapshots (tested headless).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/gui/model/head_step.h"
#include "app/gui/model/run_data.h"

namespace ssa::gui {

// "58, 64, 73, 127 and 11 more" (ids ascending; `shown` listed at most).
std::string id_list(const std::vector<int32_t>& ids, size_t shown = 4);
// "layers 1, 3 and 5" from a bitmask of layers (< 64); "no layer" when empty.
std::string layer_list(uint64_t layers);

// One sentence per level, top level first: "level 1: 4 groups chosen of 338
// (107, 109, 127, 129); level 0: 15 chunks chosen of 64 candidates (...)".
std::string describe_levels(const LayoutIndex& index, const HeadStep& step);

// What the current (step, layer, head) decided, and across layers whether the
// answer's chunk was unfolded. `step` / `unfolds` may be null (loading).
std::string step_story(const RunData& run, const HeadStep* step, const StepUnfolds* unfolds,
                       int64_t step_number, int32_t layer, int32_t head);

}  // namespace ssa::gui
