// Plain-words summaries (see step_story.h).
#include "app/gui/model/step_story.h"

#include <algorithm>

namespace ssa::gui {
namespace {

std::string plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string join_and(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? " and " : ", ";
    s += items[i];
  }
  return s;
}

std::vector<int32_t> ids_at(const LayoutIndex& index, const std::vector<int64_t>& positions,
                            int level) {
  std::vector<int32_t> ids;
  for (int64_t p : positions) ids.push_back(index.id(p, level));
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

std::string id_list(const std::vector<int32_t>& ids, size_t shown) {
  std::vector<std::string> items;
  for (size_t i = 0; i < ids.size() && i < shown; ++i) items.push_back(std::to_string(ids[i]));
  if (ids.size() > shown) items.push_back(std::to_string(ids.size() - shown) + " more");
  return join_and(items);
}

std::string layer_list(uint64_t layers) {
  std::vector<std::string> items;
  for (int l = 0; l < 64; ++l)
    if (layers & (uint64_t(1) << l)) items.push_back(std::to_string(l));
  if (items.empty()) return "no layer";
  return (items.size() == 1 ? "layer " : "layers ") + join_and(items);
}

std::string describe_levels(const LayoutIndex& index, const HeadStep& step) {
  std::vector<std::string> parts;
  for (int level = index.top_level(); level >= 0; --level) {
    if (level >= static_cast<int>(step.levels.size())) continue;
    const auto& l = step.levels[level];
    if (l.candidates.empty() && l.chosen.empty()) continue;
    const auto ids = ids_at(index, l.chosen, level);
    std::string part = "level " + std::to_string(level) + ": " +
                       plural(static_cast<int64_t>(ids.size()), level == 0 ? "chunk" : "group",
                              level == 0 ? "chunks" : "groups") +
                       " chosen of " + std::to_string(l.candidates.size()) + " scored";
    if (!ids.empty()) part += " (" + id_list(ids) + ")";
    parts.push_back(part);
  }
  if (parts.empty()) return "nothing scored or chosen";
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? " \xE2\x86\x92 " : "") + parts[i];
  return s;
}

std::string step_story(const RunData& run, const HeadStep* step, const StepUnfolds* unfolds,
                       int64_t step_number, int32_t layer, int32_t head) {
  std::string s = "Step " + std::to_string(step_number);
  if (const auto* d = run.decode_step(step_number)) {
    std::string text;
    for (char c : d->text) text += c == '\n' ? std::string("\\n") : std::string(1, c);
    s += " produced \"" + text + "\"";
  }
  s += ". Layer " + std::to_string(layer);
  if (head >= 0) s += ", head " + std::to_string(head);
  if (run.is_dense(layer)) {
    s += " is dense: not selecting (it attends to its training-mask row).";
  } else if (!step) {
    s += ": loading...";
  } else if (!step->recorded) {
    s += ": no selection recorded.";
  } else {
    const auto& chunks = step->unfolded_chunks;
    s += " unfolded " + plural(static_cast<int64_t>(chunks.size()), "chunk", "chunks");
    if (!chunks.empty()) s += " (" + id_list(chunks) + ")";
    if (!run.facts.answer_chunks.empty()) {
      std::vector<int32_t> hit;
      for (int32_t c : run.facts.answer_chunks)
        if (step->is_unfolded(c)) hit.push_back(c);
      const std::string answer =
          run.facts.answer_chunks.size() == 1
              ? "the answer's chunk " + std::to_string(run.facts.answer_chunks[0])
              : "the answer's chunks " + id_list(run.facts.answer_chunks);
      if (!hit.empty()) {
        std::vector<int32_t> heads;
        for (int32_t c : hit)
          for (int32_t h : step->heads_unfolding(c)) heads.push_back(h);
        std::sort(heads.begin(), heads.end());
        heads.erase(std::unique(heads.begin(), heads.end()), heads.end());
        s += "; " + answer +
             (hit.size() == run.facts.answer_chunks.size() ? " among them" : " partly among them");
        if (head < 0 && !heads.empty())
          s += " (" + std::string(heads.size() == 1 ? "head " : "heads ") + id_list(heads, 8) + ")";
      } else {
        s += "; " + answer + " not among them";
      }
    }
    s += ".";
  }
  if (unfolds && !run.facts.answer_chunks.empty() && run.num_layers > 0) {
    uint64_t layers = 0;
    for (int32_t c : run.facts.answer_chunks) layers |= unfolds->layers_of(c);
    s += " Across the " + plural(run.num_layers, "layer", "layers") + ", " +
         (layers ? layer_list(layers) + " unfolded the answer's chunk."
                 : "no layer unfolded the answer's chunk.");
  }
  if (run.facts.dense_layers > 0 && !run.is_dense(layer)) {
    s += " " + (run.facts.dense_layers == 1
                    ? std::string("Layer 0 is dense.")
                    : "Layers 0-" + std::to_string(run.facts.dense_layers - 1) + " are dense.");
  }
  return s;
}

}  // namespace ssa::gui
