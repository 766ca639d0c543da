// Mask rasters: pixels of the training mask for the mask view, computed off
// the frame path and never as L x L cells.
//
// Two levels of detail:
//  - block_image(): one texel per (query block, key block) of the recorded
//    block description (full / partial-gists / partial-mixed / empty). Built
//    once per run; at 128K that is 1024 x 1024 texels.
//  - rasterize(): the visible region at screen resolution. Each pixel row
//    samples one query position and evaluates the spec's per-pair rule only on
//    the keys that can be visible to it (sink, its own and p previous chunks,
//    gists up to it): O(rows x gists), exact for the sampled rows.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "app/gui/model/session_model.h"

namespace ssa::gui {

struct MaskRasterKey {
  const RunData* run = nullptr;
  double x0 = 0, y0 = 0;  // stream coordinates of the top-left pixel corner
  double cells_per_pixel = 1;
  int width = 0, height = 0;
  bool operator==(const MaskRasterKey& o) const {
    return run == o.run && x0 == o.x0 && y0 == o.y0 && cells_per_pixel == o.cells_per_pixel &&
           width == o.width && height == o.height;
  }
};

struct MaskRaster {
  MaskRasterKey key;
  std::vector<uint32_t> rgba;  // width x height, top row first
};

struct BlockImage {
  int size = 0;  // query blocks == key blocks
  std::vector<uint32_t> rgba;
};

BlockImage block_image(const RunData& run);
// `cancelled` is polled between rows; returns an empty raster when it fires.
MaskRaster rasterize(const MaskRasterKey& key, const std::function<bool()>& cancelled);

}  // namespace ssa::gui
