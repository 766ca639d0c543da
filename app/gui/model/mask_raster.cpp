// Mask rasters (see mask_raster.h).
#include "app/gui/model/mask_raster.h"

#include <algorithm>
#include <cmath>

namespace ssa::gui {
namespace {

uint32_t channel(uint32_t c, int shift) {
  return (c >> shift) & 0xFFu;
}

// Blends `colour` over `base` by `t` in [0, 1] (RGBA packed as ImGui's ImU32).
uint32_t blend(uint32_t base, uint32_t colour, float t) {
  uint32_t out = 0xFFu << 24;
  for (int shift : {0, 8, 16}) {
    const float a = static_cast<float>(channel(base, shift));
    const float b = static_cast<float>(channel(colour, shift));
    out |= static_cast<uint32_t>(a + (b - a) * t + 0.5f) << shift;
  }
  return out;
}

// The role colours of a pixel's visible keys mixed by their counts (raw,
// gist, meta-gist levels), brightened by the share of visible keys.
uint32_t mixed_cell_colour(const MaskPalette& palette, const float* counts, int roles,
                           float cells) {
  float total = 0, rgb[3] = {0, 0, 0};
  for (int role = 0; role < roles; ++role) {
    if (counts[role] <= 0) continue;
    const uint32_t c = palette.role(role);
    for (int i = 0; i < 3; ++i) rgb[i] += counts[role] * static_cast<float>(channel(c, 8 * i));
    total += counts[role];
  }
  const uint32_t mixed = (0xFFu << 24) | (static_cast<uint32_t>(rgb[2] / total) << 16) |
                         (static_cast<uint32_t>(rgb[1] / total) << 8) |
                         static_cast<uint32_t>(rgb[0] / total);
  return blend(palette.masked, mixed, 0.22f + 0.78f * std::clamp(total / cells, 0.0f, 1.0f));
}

}  // namespace

BlockImage block_image(const BlockImageKey& key) {
  BlockImage image;
  image.key = key;
  if (!key.mask || !key.layout || !key.palette) return image;
  const auto& mask = *key.mask;
  const MaskPalette& palette = *key.palette;
  const int block = std::max(1, mask.block_size);
  image.block_size = block;
  image.size = static_cast<int>((key.layout->length() + block - 1) / block);
  image.rgba.assign(static_cast<size_t>(image.size) * image.size, palette.outside);
  // Gists-only blocks are mostly empty (one visible key in c + 1): dim; the
  // blocks near the diagonal, where raw tokens are visible too, stand out.
  const uint32_t full = blend(palette.masked, palette.role(0), 0.9f);
  const uint32_t gists = blend(palette.masked, palette.role(1), 0.4f);
  const uint32_t mixed = blend(palette.masked, palette.role(0), 0.75f);
  const int64_t entries = static_cast<int64_t>(mask.key_blocks.size());
  for (int b = 0; b < image.size; ++b) {
    uint32_t* row = &image.rgba[static_cast<size_t>(b) * image.size];
    // Causal region first (masked), then the recorded non-empty blocks. The
    // mask was checked when loaded; the bounds are checked again here anyway.
    for (int k = 0; k <= b; ++k) row[k] = palette.masked;
    if (b + 1 >= static_cast<int>(mask.row_offsets.size())) continue;
    const int64_t e0 = std::clamp<int64_t>(mask.row_offsets[b], 0, entries);
    const int64_t e1 = std::clamp<int64_t>(mask.row_offsets[b + 1], e0, entries);
    for (int64_t e = e0; e < e1; ++e) {
      const int32_t k = mask.key_blocks[e];
      if (k < 0 || k >= image.size || e >= static_cast<int64_t>(mask.kinds.size())) continue;
      row[k] = mask.kinds[e] == 1 ? full : mask.kinds[e] == 2 ? gists : mixed;
    }
  }
  return image;
}

MaskRaster rasterize(const MaskRasterKey& key, const std::function<bool()>& cancelled) {
  MaskRaster raster;
  raster.key = key;
  if (!key.layout || !key.palette || key.width <= 0 || key.height <= 0) return raster;
  const LayoutIndex& index = *key.layout;
  const MaskPalette& palette = *key.palette;
  const int64_t length = index.length();
  const double cpp = key.cells_per_pixel;
  const int w = key.width, h = key.height;
  raster.rgba.assign(static_cast<size_t>(w) * h, 0);
  // Visible key window, clamped to the stream.
  const int64_t k_lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(key.x0)));
  const int64_t k_hi = std::min<int64_t>(length, static_cast<int64_t>(std::ceil(key.x0 + w * cpp)));
  const int p = index.previous_chunks();
  // Visible keys per pixel and role (0 raw, 1 gist, k+1 meta-gist of level k).
  const int roles = index.num_levels() + 1;
  std::vector<float> counts(static_cast<size_t>(w) * roles);
  int64_t last_q = -1;
  for (int py = 0; py < h; ++py) {
    if ((py & 15) == 0 && cancelled()) return MaskRaster{};
    const int64_t q = static_cast<int64_t>(std::floor(key.y0 + (py + 0.5) * cpp));
    uint32_t* out = &raster.rgba[static_cast<size_t>(py) * w];
    if (q < 0 || q >= length) {
      std::fill(out, out + w, palette.outside);
      continue;
    }
    if (q == last_q) {  // zoomed in: several pixel rows show the same query
      std::copy_n(out - w, w, out);
      continue;
    }
    last_q = q;
    std::fill(counts.begin(), counts.end(), 0.0f);
    auto visit = [&](int64_t k) {
      if (k < k_lo || k >= k_hi || k > q || !index.mask_allows(q, k)) return;
      const double a = (k - key.x0) / cpp, b = (k + 1 - key.x0) / cpp;
      const int x0 = std::max(0, static_cast<int>(std::floor(a)));
      const int x1 = std::min(w - 1, static_cast<int>(std::ceil(b)) - 1);
      const int role = index.role(k);
      for (int x = x0; x <= x1; ++x) counts[static_cast<size_t>(x) * roles + role] += 1.0f;
    };
    // Every key that may be visible to q: the sink, the level-0 positions of
    // its own and p previous chunks, and the gists of every level before it.
    for (int64_t k = 0; k < std::min<int64_t>(index.sink_length(), q + 1); ++k) visit(k);
    const int64_t chunk_lo = static_cast<int64_t>(index.id(q, 0)) - p;
    const auto& chunks = index.spans(0);
    int64_t lo = index.sink_length();
    if (chunk_lo > 0 && chunk_lo < index.num_chunks()) lo = chunks[chunk_lo].begin;
    if (chunk_lo >= index.num_chunks() && index.num_chunks() > 0) lo = chunks.back().gist + 1;
    for (int64_t k = std::max(lo, k_lo); k <= std::min(q, k_hi - 1); ++k)
      if (index.role(k) <= 1) visit(k);
    for (int level = 0; level < index.num_levels(); ++level) {
      const auto& spans = index.spans(level);
      auto it = std::lower_bound(spans.begin(), spans.end(), std::max(k_lo, lo),
                                 [](const Span& s, int64_t pos) { return s.gist < pos; });
      // Gists below `lo` were visited by the level-0 range only when in it.
      auto first = std::lower_bound(spans.begin(), spans.end(), k_lo,
                                    [](const Span& s, int64_t pos) { return s.gist < pos; });
      for (auto g = first; g != spans.end() && g->gist <= q && g->gist < k_hi; ++g)
        if (g < it || level > 0) visit(g->gist);
    }
    const float cells = static_cast<float>(std::max(1.0, cpp));
    for (int x = 0; x < w; ++x) {
      const double k = key.x0 + (x + 0.5) * cpp;
      if (k < 0 || k >= length) {
        out[x] = palette.outside;
        continue;
      }
      const float* c = &counts[static_cast<size_t>(x) * roles];
      bool any = false;
      for (int role = 0; role < roles; ++role) any |= c[role] > 0;
      out[x] = any ? mixed_cell_colour(palette, c, roles, cells)
                   : (k <= q + 0.5 ? palette.masked : palette.outside);
    }
  }
  return raster;
}

}  // namespace ssa::gui
