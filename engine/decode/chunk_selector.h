// Chunk selection for selective attention (ssa-spec.md, "Inference", steps 1-6).
//
// A suffix query scores the top-level gists of the prefix, keeps the top k_l,
// descends into the groups those gists close, and repeats down to level 0; the
// chunks closed by the chosen level-0 gists are unfolded. This file holds the
// decisions only: scores come from a callback, so the same code serves every
// layer, head, GQA mode and baseline, and the spec's worked examples test it
// with plain numbers. No LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/layout/gist_layout.h"

namespace ssa {

// The gists of a layout, level by level, and who contains whom. For a
// prompt these are the prefix's gists (the suffix has none). Gists placed
// during generation join as they come; until a gist of the level above
// summarises them they are "open": candidates at their own level for every
// query, as the top level's gists are (select_chunks).
class GistHierarchy {
 public:
  // The gists at stream positions < end (< 0: the whole layout).
  explicit GistHierarchy(const GistLayout& layout, int64_t end = -1);

  int num_levels() const { return static_cast<int>(gists_.size()); }
  int top_level() const { return num_levels() - 1; }
  // One past the stream position of the last gist it holds (0: none).
  int64_t stream_end() const { return stream_end_; }
  // Stream positions of the gists of `level`, in order.
  const std::vector<int64_t>& gists(int level) const { return gists_[level]; }
  int64_t count(int level) const { return static_cast<int64_t>(gists_[level].size()); }
  // Indices (into gists(level - 1)) of the gists that level-`level` gist j closes.
  int64_t first_child(int level, int64_t j) const { return child_begin_[level][j]; }
  int64_t end_child(int level, int64_t j) const { return child_begin_[level][j + 1]; }
  // Gists of `level` below the top that no gist of the level above closes yet:
  // indices [first_open(level), count(level)). The top level has none.
  int64_t first_open(int level) const {
    return level == top_level() ? count(level) : child_begin_[level + 1].back();
  }
  // Stream range [begin, end) of chunk j: its raw tokens and its gist (the last).
  int64_t chunk_begin(int64_t j) const { return chunk_begin_[j]; }
  int64_t chunk_end(int64_t j) const { return gists_[0][j] + 1; }

 private:
  std::vector<std::vector<int64_t>> gists_;
  std::vector<std::vector<int64_t>> child_begin_;  // [level][j], level >= 1, size count + 1
  std::vector<int64_t> chunk_begin_;
  int64_t stream_end_ = 0;
};

// What one query chooses with (budget.h fills it per query position).
struct SelectionSettings {
  int k = 4;                 // budget of every level not in level_k
  std::vector<int> level_k;  // budgets of levels 0, 1, ... where given (the reference's k)
  bool quarter_cap = true;   // k_l = min(k, max(1, n_l / 4)); off: k_l = min(k, n_l)
  double top_p = 0;          // > 0: take the smallest top set whose softmax mass reaches top_p

  int k_at(int level) const {
    return level < static_cast<int>(level_k.size()) ? level_k[level] : k;
  }
};

// What happened at one level: the candidates (indices into the level's gists),
// their scores, and the chosen ones (indices, best first).
struct LevelChoice {
  int level = 0;
  std::vector<int64_t> candidates;
  std::vector<double> scores;
  std::vector<int64_t> chosen;
};

// Scores of `candidates` (indices into hierarchy.gists(level)), one per candidate.
using GistScorer =
    std::function<std::vector<double>(int level, const std::vector<int64_t>& candidates)>;

// Top-down selection; returns one LevelChoice per level, top level first.
// Each level's candidates: the children of the gists chosen above, then the
// level's open gists (none in a prompt's prefix). A level without candidates
// gets no entry; the last entry is level 0 whenever there are chunks.
// The unfolded chunks are the last entry's `chosen` (level-0 gist j closes chunk j).
std::vector<LevelChoice> select_chunks(const GistHierarchy& hierarchy,
                                       const SelectionSettings& settings, const GistScorer& score);

// k_l of `level` (whose k: SelectionSettings::k_at) with `level_count` gists
// in the prefix and `candidates` on offer.
int64_t level_budget(const SelectionSettings& settings, int64_t level_count, int64_t candidates,
                     int level = 0);

// Chooses from scored candidates: the top `budget` (ties: the lower index, i.e.
// the lower stream position, wins: spec 9; the reference's torch.topk leaves it open),
// or with top_p the smallest best-first set whose softmax mass reaches top_p.
std::vector<int64_t> choose_top(const std::vector<int64_t>& candidates,
                                const std::vector<double>& scores, int64_t budget, double top_p);

}  // namespace ssa
