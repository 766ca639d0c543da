// ViewContext (see views.h): what every view asks of the current run and step.
#include <algorithm>

#include "app/gui/views/views.h"

namespace ssa::gui {

std::string ViewContext::no_steps_note() const {
  if (!run || !run->steps.empty()) return "";
  if (run->failed()) return "this run failed before its first decode step: " + run->info.failure;
  return run->info.finished ? "this run recorded no decode steps"
                            : "prefilling the prompt: no decode step yet";
}

int64_t ViewContext::query_position() const {
  if (!layout || layout->length() == 0 || !run || run->steps.empty()) return -1;
  const int64_t offset = state.step - run->steps.front();
  return std::clamp<int64_t>(run->prompt_length - 1 + offset, 0, layout->length() - 1);
}

}  // namespace ssa::gui
