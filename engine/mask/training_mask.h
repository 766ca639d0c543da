// The SSA / H-SSA training mask in dense form (ssa-spec.md, rules 1-5).
//
// Dense [L, L] is the CPU reference: for small L, tests, the mask CLI (up to
// kMaxDenseMaskLength) and masked attention on CPU. Kernels and long streams
// use the block description of block_mask.h instead, which never builds this.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"

namespace at {
class Tensor;
}

namespace ssa {

// Longest stream for which a dense mask is built (32768^2 bytes = 1 GiB).
constexpr int64_t kMaxDenseMaskLength = 32768;

// The predicate's view of a layout (valid while the layout lives).
MaskRuleView mask_rule_view(const GistLayout& layout, MaskSettings settings);

// Fills out[q * n + k] = 1 where q may attend to k, for the first n positions
// (n = `length`, or the whole stream when negative; out holds n*n bytes).
// Written as per-row visible ranges, independently of mask_rule.h.
void fill_dense_training_mask(const GistLayout& layout, MaskSettings settings, uint8_t* out,
                              int64_t length = -1);

// Bool tensor [n, n] on the CPU for the first n positions (all when negative);
// throws std::length_error above kMaxDenseMaskLength.
at::Tensor dense_training_mask(const GistLayout& layout, MaskSettings settings,
                               int64_t length = -1);

}  // namespace ssa
