// Checks on what the Writer is given, run in the caller's thread so that a
// bad record fails at its source with a one-line std::invalid_argument.
// (Layer steps are checked by validate_layer_step in layer_step_codec.h.)
#pragma once

#include "sessions/records.h"

namespace ssa::sessions {

// Every per-position array has length() entries (pieces: 0 or length());
// group_ids a multiple of it; roles non-negative; ids in [0, length()].
void validate_layout(const Layout& layout);
// CSR offsets consistent, one kind per key block, block size positive.
void validate_mask(const BlockMask& mask);

}  // namespace ssa::sessions
