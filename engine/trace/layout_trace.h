// Plain-struct descriptions of a layout and its block mask, for observers.
#pragma once

#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"
#include "engine/trace/observer.h"

namespace ssa::trace {

LayoutInfo describe_layout(const GistLayout& layout);
MaskInfo describe_mask(const BlockMask& blocks);

}  // namespace ssa::trace
