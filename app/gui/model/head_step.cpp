// HeadStep and StepUnfolds (see head_step.h).
#include "app/gui/model/head_step.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace ssa::gui {

bool rows_sound(const sessions::LevelScores& s) {
  const size_t rows = s.rows();
  if (s.shared()) return s.scores.size() == rows * s.candidates.size();
  if (s.row_offsets.size() != rows + 1 || s.scores.size() != s.candidates.size()) return false;
  if (s.row_offsets.front() != 0 ||
      s.row_offsets.back() != static_cast<int64_t>(s.candidates.size()))
    return false;
  for (size_t r = 0; r < rows; ++r)
    if (s.row_offsets[r + 1] < s.row_offsets[r]) return false;
  return true;
}

bool rows_sound(const sessions::LevelSelection& s) {
  const size_t rows = s.rows();
  if (s.row_offsets.size() != rows + 1 || s.row_offsets.front() != 0 ||
      s.row_offsets.back() != static_cast<int64_t>(s.chosen.size()))
    return false;
  for (size_t r = 0; r < rows; ++r)
    if (s.row_offsets[r + 1] < s.row_offsets[r]) return false;
  return true;
}

bool HeadStep::is_chosen(int level, int64_t pos) const {
  if (level < 0 || level >= static_cast<int>(levels.size())) return false;
  const auto& chosen = levels[level].chosen;
  return std::binary_search(chosen.begin(), chosen.end(), pos);
}

bool HeadStep::is_unfolded(int32_t chunk) const {
  return std::binary_search(unfolded_chunks.begin(), unfolded_chunks.end(), chunk);
}

std::vector<int32_t> HeadStep::heads_unfolding(int32_t chunk) const {
  std::vector<int32_t> heads;
  for (const auto& [h, chunks] : chunks_by_head)
    if (std::binary_search(chunks.begin(), chunks.end(), chunk)) heads.push_back(h);
  return heads;
}

HeadStep make_head_step(const LayoutIndex& index, const sessions::LayerStep* record, int64_t step,
                        int32_t layer, int32_t head) {
  HeadStep out;
  out.step = step;
  out.layer = layer;
  out.head = head;
  out.levels.resize(static_cast<size_t>(index.num_levels()));
  for (auto& level : out.levels) level.lo = 1, level.hi = 0;
  if (!record) return out;
  out.recorded = true;
  for (const auto& ls : record->scores) {
    if (!index.valid_level(ls.level) || !rows_sound(ls)) {
      out.left_out += static_cast<int64_t>(ls.scores.size());
      continue;
    }
    std::map<int64_t, float> best;  // candidate -> score (max over the rows shown)
    for (size_t r = 0; r < ls.rows(); ++r) {
      if (head >= 0 && ls.heads[r] != head) continue;
      const int64_t* c = ls.row_candidates(r);
      const float* s = ls.row_scores(r);
      for (size_t i = 0; i < ls.row_size(r); ++i) {
        if (!index.is_gist_of(c[i], ls.level) || std::isnan(s[i])) {
          ++out.left_out;
          continue;
        }
        auto [it, inserted] = best.emplace(c[i], s[i]);
        if (!inserted) it->second = std::max(it->second, s[i]);
      }
    }
    auto& level = out.levels[ls.level];
    for (const auto& [pos, score] : best) {
      level.candidates.push_back(pos);
      level.scores.push_back(score);
    }
    if (!level.scores.empty()) {
      const auto [lo, hi] = std::minmax_element(level.scores.begin(), level.scores.end());
      level.lo = *lo, level.hi = *hi;
    }
  }
  std::map<int32_t, std::vector<int32_t>> by_head;
  for (const auto& sel : record->selections) {
    if (!index.valid_level(sel.level) || !rows_sound(sel)) {
      out.left_out += static_cast<int64_t>(sel.chosen.size());
      continue;
    }
    auto& chosen = out.levels[sel.level].chosen;
    for (size_t r = 0; r < sel.rows(); ++r) {
      if (head >= 0 && sel.heads[r] != head) continue;
      for (size_t i = 0; i < sel.row_size(r); ++i) {
        const int64_t pos = sel.row_chosen(r)[i];
        if (!index.is_gist_of(pos, sel.level)) {
          ++out.left_out;
          continue;
        }
        chosen.push_back(pos);
        if (sel.level == 0) by_head[sel.heads[r]].push_back(index.id(pos, 0));
      }
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  }
  for (int64_t pos : out.levels[0].chosen) {
    const int32_t chunk = index.span_of(pos, 0);
    if (chunk >= 0) out.unfolded_chunks.push_back(chunk);
  }
  for (auto& [h, chunks] : by_head) {
    std::sort(chunks.begin(), chunks.end());
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
    out.chunks_by_head.emplace_back(h, std::move(chunks));
  }
  return out;
}

uint64_t StepUnfolds::layers_of(int32_t chunk) const {
  auto it = std::lower_bound(level0.begin(), level0.end(), chunk,
                             [](const sessions::Unfold& u, int32_t c) { return u.id < c; });
  return it != level0.end() && it->id == chunk ? it->layer_mask : 0;
}

std::vector<int32_t> StepUnfolds::chunks() const {
  std::vector<int32_t> out;
  for (const auto& u : level0) out.push_back(u.id);
  return out;
}

StepUnfolds make_step_unfolds(const LayoutIndex& index, std::vector<sessions::Unfold> unfolds,
                              int64_t step) {
  StepUnfolds out;
  out.step = step;
  for (auto& u : unfolds)
    if (u.level == 0 && index.valid_chunk(u.id)) out.level0.push_back(u);
  std::sort(out.level0.begin(), out.level0.end(),
            [](const sessions::Unfold& a, const sessions::Unfold& b) { return a.id < b.id; });
  return out;
}

}  // namespace ssa::gui
