// Synthetic traces for the recording tests and benchmarks: a gist layout
// (SSA or two-level H-SSA) and per (step, layer) scores and top-k selections
// shaped like the engine's, from a seeded generator. Deterministic: the same
// (shape, step, layer) always gives the same record, so a test can rebuild
// what a killed child process wrote.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "sessions/records.h"

namespace ssa::sessions::testing {

struct TraceShape {
  int layers = 2;
  int heads = 2;        // score rows: query heads or KV groups
  int levels = 1;       // 1 = SSA, 2 = H-SSA with group_size gists per meta-gist
  int chunk = 4;        // raw tokens per gist
  int group_size = 4;   // gists per meta-gist (levels == 2)
  int64_t chunks = 16;  // level-0 chunks in the prefix
  int k = 2;            // chosen per level and row
  int suffix = 2;       // raw tokens after the prefix
};

// Stream: [chunk raw tokens, gist]..., a meta-gist after every group_size
// gists and one at the end of a partial group, then the suffix.
inline Layout make_layout(const TraceShape& shape, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Layout l;
  l.settings_json = "{\"chunk\":" + std::to_string(shape.chunk) +
                    ",\"levels\":" + std::to_string(shape.levels) + "}";
  int32_t chunk_id = 0, group_id = 0;
  int64_t raw = 0;
  auto push = [&](int8_t role, int64_t token, int64_t raw_index) {
    l.token_ids.push_back(token);
    l.roles.push_back(role);
    l.chunk_ids.push_back(chunk_id);
    if (shape.levels == 2) l.group_ids.push_back(group_id);
    l.raw_index.push_back(raw_index);
    l.positions.push_back(int64_t(l.positions.size()));
    l.pieces.push_back(role == 0 ? std::string(1, char('a' + token % 26))
                                 : "<g" + std::to_string(role) + ">");
  };
  for (int64_t c = 0; c < shape.chunks; ++c) {
    for (int i = 0; i < shape.chunk; ++i) push(0, int64_t(rng() % 256), raw++);
    push(1, 259, -1);
    ++chunk_id;
    bool group_full = shape.levels == 2 && (c + 1) % shape.group_size == 0;
    bool last = c + 1 == shape.chunks;
    if (shape.levels == 2 && (group_full || last)) {
      push(2, 260, -1);
      ++group_id;
    }
  }
  l.prefix_length = l.length();
  for (int i = 0; i < shape.suffix; ++i) push(0, int64_t(rng() % 256), raw++);
  l.sink_length = 0;
  return l;
}

// Stream positions of the gists of `level` (role level + 1), in order.
inline std::vector<int64_t> gist_positions(const Layout& l, int level) {
  std::vector<int64_t> out;
  for (int64_t p = 0; p < l.prefix_length; ++p) {
    if (l.roles[p] == level + 1) out.push_back(p);
  }
  return out;
}

// Top-k of scores (ties: lower stream position first), as stream positions.
inline std::vector<int64_t> top_k(const int64_t* cands, const float* scores, size_t n, int k) {
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  size_t kk = std::min<size_t>(size_t(k), n);
  std::partial_sort(idx.begin(), idx.begin() + kk, idx.end(), [&](size_t a, size_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : cands[a] < cands[b];
  });
  std::vector<int64_t> out;
  for (size_t i = 0; i < kk; ++i) out.push_back(cands[idx[i]]);
  std::sort(out.begin(), out.end());
  return out;
}

// One (step, layer): the top level scores every top-level gist (shared rows);
// with two levels, level 0 scores the gists inside each row's chosen groups
// (ragged rows). Every row chooses its top k.
inline LayerStep make_layer_step(const TraceShape& shape, const Layout& l, int64_t step,
                                 int32_t layer) {
  std::mt19937 rng(uint32_t(step * 7919 + layer * 104729 + 17));
  std::normal_distribution<float> normal(0.f, 2.f);
  LayerStep r;
  r.step = step;
  r.layer = layer;
  int top = shape.levels - 1;
  std::vector<int64_t> top_gists = gist_positions(l, top);
  LevelScores top_scores;
  top_scores.level = top;
  top_scores.candidates = top_gists;
  LevelSelection top_sel;
  top_sel.level = top;
  top_sel.row_offsets.push_back(0);
  for (int h = 0; h < shape.heads; ++h) {
    top_scores.heads.push_back(h);
    top_sel.heads.push_back(h);
    size_t begin = top_scores.scores.size();
    for (size_t i = 0; i < top_gists.size(); ++i) top_scores.scores.push_back(normal(rng));
    std::vector<int64_t> chosen =
        top_k(top_gists.data(), top_scores.scores.data() + begin, top_gists.size(), shape.k);
    top_sel.chosen.insert(top_sel.chosen.end(), chosen.begin(), chosen.end());
    top_sel.row_offsets.push_back(int64_t(top_sel.chosen.size()));
  }
  if (shape.levels == 2) {
    std::vector<int64_t> gists = gist_positions(l, 0);
    LevelScores s0;
    s0.level = 0;
    s0.row_offsets.push_back(0);
    LevelSelection c0;
    c0.level = 0;
    c0.row_offsets.push_back(0);
    for (int h = 0; h < shape.heads; ++h) {
      s0.heads.push_back(h);
      c0.heads.push_back(h);
      size_t begin = s0.candidates.size();
      for (int64_t g : gists) {
        for (size_t j = top_sel.row_offsets[h]; j < size_t(top_sel.row_offsets[h + 1]); ++j) {
          if (l.group_ids[g] == l.group_ids[top_sel.chosen[j]]) {
            s0.candidates.push_back(g);
            s0.scores.push_back(normal(rng));
          }
        }
      }
      s0.row_offsets.push_back(int64_t(s0.candidates.size()));
      std::vector<int64_t> chosen = top_k(s0.candidates.data() + begin, s0.scores.data() + begin,
                                          s0.candidates.size() - begin, shape.k);
      c0.chosen.insert(c0.chosen.end(), chosen.begin(), chosen.end());
      c0.row_offsets.push_back(int64_t(c0.chosen.size()));
    }
    r.scores.push_back(std::move(s0));
    r.selections.push_back(std::move(c0));
  }
  r.scores.push_back(std::move(top_scores));
  r.selections.push_back(std::move(top_sel));
  return r;
}

inline RunInfo named_run(const std::string& name) {
  RunInfo r;
  r.name = name;
  r.kind = "decode";
  return r;
}

inline DecodeStepRecord make_decode_step(int64_t step) {
  DecodeStepRecord d;
  d.step = step;
  d.token_id = 97 + step % 26;
  d.text = std::string(1, char(d.token_id));
  d.seconds = 0.001 * double(step + 1);
  d.keys_scored = 100 + step;
  d.keys_read = 40 + step;
  d.full_mass_coverage = step % 3 == 0 ? -1.0 : 0.5 + 0.01 * double(step % 40);
  d.answer_unfolded = int32_t(step % 3) - 1;
  return d;
}

inline BlockMask make_mask(int64_t query_blocks, int32_t block_size = 128) {
  BlockMask m;
  m.block_size = block_size;
  m.previous_chunks = 1;
  m.row_offsets.push_back(0);
  for (int64_t b = 0; b < query_blocks; ++b) {
    for (int64_t k = 0; k <= b; k += (b - k > 2 ? b - k - 1 : 1)) {
      m.key_blocks.push_back(int32_t(k));
      m.kinds.push_back(uint8_t(k == b ? 3 : (k == 0 ? 2 : 1)));
    }
    m.row_offsets.push_back(int64_t(m.key_blocks.size()));
  }
  return m;
}

// A block mask with one query block per `block_size` positions of the layout
// (the Reader refuses a mask with more rows than its layout has blocks).
inline BlockMask make_mask(const Layout& layout, int32_t block_size = 128) {
  return make_mask((layout.length() + block_size - 1) / block_size, block_size);
}

}  // namespace ssa::sessions::testing
