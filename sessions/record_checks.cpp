// Record checks: see record_checks.h. Messages are built only on failure:
// the per-position loops run on every layout the Reader opens.
#include "sessions/record_checks.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssa::sessions {
namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument(what);
}

std::string at(int64_t pos) {
  return " at position " + std::to_string(pos);
}

}  // namespace

void validate_layout(const Layout& l) {
  const size_t n = l.token_ids.size();
  require(l.roles.size() == n, "layout: roles must have one entry per position");
  require(l.chunk_ids.size() == n, "layout: chunk_ids must have one entry per position");
  require(l.raw_index.size() == n, "layout: raw_index must have one entry per position");
  require(l.positions.size() == n, "layout: positions must have one entry per position");
  require(l.pieces.empty() || l.pieces.size() == n,
          "layout: pieces must be empty or one per position");
  require(n == 0 ? l.group_ids.empty() : l.group_ids.size() % n == 0,
          "layout: group_ids must hold (levels - 1) ids per position");
  require(l.prefix_length >= 0 && l.prefix_length <= int64_t(n),
          "layout: prefix_length outside the stream");
  require(l.sink_length >= 0 && l.sink_length <= int64_t(n),
          "layout: sink_length outside the stream");
  if (n == 0) return;
  const int levels = l.num_levels();
  require(levels <= kMaxLevels, "layout: more than 64 levels");
  // Ids are counts of the gists of their level before the position: viewers
  // index per-chunk and per-group tables with them.
  std::vector<int32_t> gists_before(size_t(levels), 0);
  int64_t last_raw = -1;
  for (size_t pos = 0; pos < n; ++pos) {
    const int role = l.roles[pos];
    if (role < 0 || role > levels)
      fail("layout: role " + std::to_string(role) + at(int64_t(pos)) + " is not 0.." +
           std::to_string(levels));
    for (int level = 0; level < levels; ++level) {
      const int32_t id = l.id(int64_t(pos), level);
      if (id != gists_before[size_t(level)])
        fail("layout: " + std::string(level == 0 ? "chunk" : "group") + " id " +
             std::to_string(id) + at(int64_t(pos)) + " at level " + std::to_string(level) +
             ", expected " + std::to_string(gists_before[size_t(level)]) +
             " (the gists of that level before it)");
    }
    if (role > 0) {
      ++gists_before[size_t(role - 1)];
      if (l.raw_index[pos] != -1) fail("layout: a gist with a raw index" + at(int64_t(pos)));
    } else {
      if (l.raw_index[pos] <= last_raw)
        fail("layout: raw index " + std::to_string(l.raw_index[pos]) + at(int64_t(pos)) +
             " does not follow " + std::to_string(last_raw));
      last_raw = l.raw_index[pos];
    }
  }
}

void validate_mask(const BlockMask& m) {
  require(m.block_size > 0, "mask: block_size must be positive");
  require(m.previous_chunks >= 0, "mask: previous_chunks must be >= 0");
  require(m.kinds.size() == m.key_blocks.size(), "mask: one kind per key block entry");
  if (m.row_offsets.empty()) {
    require(m.key_blocks.empty(), "mask: entries without row_offsets");
    return;
  }
  require(m.row_offsets.front() == 0 && size_t(m.row_offsets.back()) == m.key_blocks.size(),
          "mask: row_offsets must start at 0 and end at the entry count");
  for (size_t b = 0; b + 1 < m.row_offsets.size(); ++b)
    if (m.row_offsets[b + 1] < m.row_offsets[b])
      fail("mask: row_offsets decrease at query block " + std::to_string(b + 1));
  for (size_t b = 0; b + 1 < m.row_offsets.size(); ++b) {
    for (int64_t e = m.row_offsets[b]; e < m.row_offsets[b + 1]; ++e) {
      const int32_t key = m.key_blocks[size_t(e)];
      if (key < 0 || int64_t(key) > int64_t(b))
        fail("mask: key block " + std::to_string(key) + " in query block " + std::to_string(b) +
             " (expected 0.." + std::to_string(b) + ")");
      const uint8_t kind = m.kinds[size_t(e)];
      if (kind < 1 || kind > 3)
        fail("mask: kind " + std::to_string(kind) + " in query block " + std::to_string(b) +
             " (expected 1, 2 or 3)");
    }
  }
}

void validate_mask_fits(const BlockMask& m, int64_t layout_length) {
  const int64_t rows = m.row_offsets.empty() ? 0 : int64_t(m.row_offsets.size()) - 1;
  const int64_t blocks = (layout_length + m.block_size - 1) / m.block_size;
  if (rows > blocks)
    fail("mask: " + std::to_string(rows) + " query blocks of " + std::to_string(m.block_size) +
         " for a layout of " + std::to_string(layout_length) + " positions");
}

void validate_run(const RunInfo& r) {
  require(r.num_layers >= 0 && r.num_layers <= kMaxLayers, "run: num_layers outside 0..4096");
  require(r.num_score_heads >= 0 && r.num_score_heads <= kMaxScoreHeads,
          "run: num_score_heads outside 0..4096");
  require(r.num_levels >= 0 && r.num_levels <= kMaxLevels, "run: num_levels outside 0..64");
  require(r.dropped_details >= 0, "run: negative dropped_details");
}

namespace {

void check_heads(const std::vector<int32_t>& heads, const RunInfo& run, const char* half) {
  const int32_t bound = run.num_score_heads > 0 ? run.num_score_heads : kMaxScoreHeads;
  for (int32_t h : heads)
    if (h < 0 || h >= bound)
      fail(std::string(half) + " head " + std::to_string(h) + " outside 0.." +
           std::to_string(bound - 1));
}

void check_gists(const int64_t* positions, size_t count, int level, const Layout& l,
                 const char* what) {
  for (size_t i = 0; i < count; ++i) {
    const int64_t p = positions[i];
    if (p < 0 || p >= l.length())
      fail(std::string(what) + " position " + std::to_string(p) + " outside the layout (" +
           std::to_string(l.length()) + " positions)");
    if (l.roles[size_t(p)] != level + 1)
      fail(std::string(what) + " position " + std::to_string(p) + " has role " +
           std::to_string(l.roles[size_t(p)]) + ", not a gist of level " + std::to_string(level));
  }
}

}  // namespace

void validate_layer_step_in_run(const LayerStep& r, const Layout& l, const RunInfo& run) {
  const int32_t layers = run.num_layers > 0 ? run.num_layers : kMaxLayers;
  if (r.layer < 0 || r.layer >= layers)
    fail("layer " + std::to_string(r.layer) + " outside 0.." + std::to_string(layers - 1));
  const int levels = l.num_levels();
  for (const LevelScores& s : r.scores) {
    if (s.level < 0 || s.level >= levels)
      fail("scores of level " + std::to_string(s.level) + " in a layout of " +
           std::to_string(levels) + " level(s)");
    check_heads(s.heads, run, "score");
    check_gists(s.candidates.data(), s.candidates.size(), s.level, l, "candidate");
  }
  for (const LevelSelection& c : r.selections) {
    if (c.level < 0 || c.level >= levels)
      fail("selection of level " + std::to_string(c.level) + " in a layout of " +
           std::to_string(levels) + " level(s)");
    check_heads(c.heads, run, "selection");
    check_gists(c.chosen.data(), c.chosen.size(), c.level, l, "chosen");
    const LevelScores* scored = nullptr;
    for (const LevelScores& s : r.scores) scored = s.level == c.level ? &s : scored;
    if (!scored) continue;
    for (size_t row = 0; row < c.rows(); ++row) {
      auto it = std::find(scored->heads.begin(), scored->heads.end(), c.heads[row]);
      if (it == scored->heads.end()) continue;
      const size_t score_row = size_t(it - scored->heads.begin());
      // One pass over the candidates (often thousands) per row, against the
      // few chosen: O(candidates x log chosen).
      std::vector<int64_t> chosen(c.row_chosen(row), c.row_chosen(row) + c.row_size(row));
      std::sort(chosen.begin(), chosen.end());
      chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
      std::vector<char> found(chosen.size(), 0);
      const int64_t* candidates = scored->row_candidates(score_row);
      for (size_t i = 0; i < scored->row_size(score_row); ++i) {
        auto hit = std::lower_bound(chosen.begin(), chosen.end(), candidates[i]);
        if (hit != chosen.end() && *hit == candidates[i]) found[size_t(hit - chosen.begin())] = 1;
      }
      for (size_t i = 0; i < chosen.size(); ++i)
        if (!found[i])
          fail("chosen position " + std::to_string(chosen[i]) + " of head " +
               std::to_string(c.heads[row]) + " at level " + std::to_string(c.level) +
               " is not among the candidates it scored");
    }
  }
}

}  // namespace ssa::sessions
