#include "engine/decode/visible_set.h"

#include <algorithm>
#include <iterator>

#include "engine/mask/training_mask.h"

namespace ssa {

std::vector<int64_t> visible_keys(const GistLayout& layout, const GistHierarchy& hierarchy,
                                  MaskSettings settings, int64_t query,
                                  const std::vector<LevelChoice>& choices) {
  std::vector<int64_t> keys;
  for (const LevelChoice& choice : choices) {
    for (int64_t j : choice.chosen) {
      keys.push_back(hierarchy.gists(choice.level)[j]);
      if (choice.level != 0) continue;
      for (int64_t k = hierarchy.chunk_begin(j); k < hierarchy.chunk_end(j); ++k) keys.push_back(k);
    }
  }
  const std::vector<int64_t> row = training_row_keys(layout, hierarchy, settings, query);
  keys.insert(keys.end(), row.begin(), row.end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<int64_t> training_row_keys(const GistLayout& layout, const GistHierarchy& hierarchy,
                                       MaskSettings settings, int64_t query) {
  std::vector<int64_t> keys;
  // Non-gist keys of the training-mask row: only the sink and the chunks from
  // (own chunk - p) on can hold them, so only those are asked.
  const MaskRuleView rule = mask_rule_view(layout, settings);
  for (int64_t k = 0; k < std::min(layout.sink_length(), query + 1); ++k) keys.push_back(k);
  const int64_t first_chunk =
      std::max<int64_t>(0, layout.chunk_id(query) - settings.previous_chunks);
  int64_t from = query;
  while (from > 0 && layout.chunk_id(from - 1) >= first_chunk) --from;
  for (int64_t k = from; k <= query; ++k) {
    if (!layout.is_gist(k) && training_mask_allows(rule, query, k)) keys.push_back(k);
  }
  // Gists the hierarchy does not hold (the query itself, when it is a gist
  // placed during generation) are seen as the training row allows.
  for (int64_t k = hierarchy.stream_end(); k <= query; ++k) {
    if (layout.is_gist(k) && training_mask_allows(rule, query, k)) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<int64_t> union_of(const std::vector<std::vector<int64_t>>& sets) {
  std::vector<int64_t> all;
  for (const auto& set : sets) {
    std::vector<int64_t> merged;
    std::set_union(all.begin(), all.end(), set.begin(), set.end(), std::back_inserter(merged));
    all.swap(merged);
  }
  return all;
}

}  // namespace ssa
