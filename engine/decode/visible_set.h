// The keys a suffix query attends to under selective attention (ssa-spec.md,
// "Inference", step 4): the unfolded chunks (raw tokens and their gist), every
// chosen gist at every level, and the non-gist keys its training-mask row
// allows (its own chunk, which for a suffix query is the suffix up to itself,
// the p previous chunks, and the sink). Gists that were not chosen are not seen,
// except gists the hierarchy does not hold yet (a generation gist querying
// itself): those the query sees as its training-mask row allows.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/decode/chunk_selector.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"

namespace ssa {

// Sorted, unique stream positions <= query.
std::vector<int64_t> visible_keys(const GistLayout& layout, const GistHierarchy& hierarchy,
                                  MaskSettings settings, int64_t query,
                                  const std::vector<LevelChoice>& choices);

// The keys of the query's training-mask row that need no choice (sorted,
// unique): the sink, the non-gist keys of the chunks from (own chunk - p) on,
// and the gists the hierarchy does not hold yet. visible_keys is these plus
// the choices' keys; the GPU plan sends these as its local ranges.
std::vector<int64_t> training_row_keys(const GistLayout& layout, const GistHierarchy& hierarchy,
                                       MaskSettings settings, int64_t query);

// Union of sorted position lists (GQA `head` mode: a KV group attends to the
// union of its heads' visible sets).
std::vector<int64_t> union_of(const std::vector<std::vector<int64_t>>& sets);

}  // namespace ssa
