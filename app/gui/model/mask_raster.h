// Mask rasters: pixels of the training mask for the mask view, computed off
// the frame path and never as L x L cells.
//
// Two levels of detail:
//  - block_image(): one texel per (query block, key block) of the recorded
//    block description (full / partial-gists / partial-mixed / empty). Built
//    once per layout; at 128K that is 1024 x 1024 texels.
//  - rasterize(): the visible region at screen resolution. Each pixel row
//    samples one query position and evaluates the spec's per-pair rule only on
//    the keys that can be visible to it (sink, its own and p previous chunks,
//    gists up to it): O(rows x gists), exact for the sampled rows.
// Colours are the view's (MaskPalette); the model only mixes them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "app/gui/model/layout_index.h"
#include "sessions/records.h"

namespace ssa::gui {

struct MaskPalette {
  std::vector<uint32_t> roles;  // [role]: 0 raw, 1 gist, k+1 meta-gist of level k
  uint32_t masked = 0;          // a causal cell the mask hides
  uint32_t outside = 0;         // above the diagonal / outside the stream
  uint32_t role(int r) const {
    return roles.empty() ? 0
                         : roles[static_cast<size_t>(std::clamp<int>(r, 0, int(roles.size()) - 1))];
  }
};

struct MaskRasterKey {
  std::shared_ptr<const LayoutIndex> layout;
  std::shared_ptr<const MaskPalette> palette;
  double x0 = 0, y0 = 0;  // stream coordinates of the top-left pixel corner
  double cells_per_pixel = 1;
  int width = 0, height = 0;
  bool operator==(const MaskRasterKey& o) const {
    return layout == o.layout && palette == o.palette && x0 == o.x0 && y0 == o.y0 &&
           cells_per_pixel == o.cells_per_pixel && width == o.width && height == o.height;
  }
};

struct MaskRaster {
  MaskRasterKey key;
  std::vector<uint32_t> rgba;  // width x height, top row first
};

struct BlockImageKey {
  std::shared_ptr<const LayoutIndex> layout;
  std::shared_ptr<const sessions::BlockMask> mask;  // checked (RunData::mask)
  std::shared_ptr<const MaskPalette> palette;
  bool operator==(const BlockImageKey& o) const {
    return layout == o.layout && mask == o.mask && palette == o.palette;
  }
};

struct BlockImage {
  BlockImageKey key;
  int size = 0;  // query blocks == key blocks
  int32_t block_size = 0;
  std::vector<uint32_t> rgba;
};

BlockImage block_image(const BlockImageKey& key);
// `cancelled` is polled between rows; returns an empty raster when it fires.
MaskRaster rasterize(const MaskRasterKey& key, const std::function<bool()>& cancelled);

}  // namespace ssa::gui
