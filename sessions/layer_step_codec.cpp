// Layer-step codec: see layer_step_codec.h.
#include "sessions/layer_step_codec.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace ssa::sessions {
namespace {

constexpr int64_t kMaxPosition = std::numeric_limits<int32_t>::max();

// Messages are built only on failure: these checks run per position on the
// decode thread, so the happy path must not allocate.
void require(bool ok, const std::string& where, const char* what) {
  if (!ok) throw std::invalid_argument(where + ": " + what);
}

std::string level_name(int64_t step, int32_t layer, int32_t level) {
  return "layer step " + std::to_string(step) + "/" + std::to_string(layer) + " level " +
         std::to_string(level);
}

void validate_heads(const std::vector<int32_t>& heads, const std::string& where) {
  for (size_t i = 0; i < heads.size(); ++i) {
    require(heads[i] >= 0, where, "negative head");
    require(i == 0 || heads[i] > heads[i - 1], where, "heads not strictly ascending");
  }
}

void validate_offsets(const std::vector<int64_t>& offsets, size_t rows, size_t total,
                      const std::string& where) {
  require(offsets.size() == rows + 1, where, "row_offsets must have rows + 1 entries");
  require(offsets.front() == 0 && size_t(offsets.back()) == total, where,
          "row_offsets must start at 0 and end at the list size");
  for (size_t i = 1; i < offsets.size(); ++i) {
    require(offsets[i] >= offsets[i - 1], where, "row_offsets decrease");
  }
  require(total <= size_t(kMaxPosition), where, "too many entries");
}

void validate_positions(const std::vector<int64_t>& positions, const std::string& where) {
  for (int64_t p : positions) {
    require(p >= 0 && p <= kMaxPosition, where, "stream position out of range");
  }
}

std::string encode_offsets(const std::vector<int64_t>& offsets) {
  return encode_int32_from64(offsets.data(), offsets.size());
}

// Reads int32 value i of a blob already checked to hold it.
int32_t i32_at(BlobView b, size_t i) {
  int32_t v;
  std::memcpy(&v, static_cast<const char*>(b.data) + 4 * i, 4);
  return v;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw BlobError(what);
}

std::vector<int32_t> decode_heads(BlobView heads, int64_t rows) {
  check(rows >= 0, "negative row count");
  std::vector<int32_t> out = decode_int32(heads.data, heads.size, int(Dtype::kInt32), rows);
  for (size_t i = 1; i < out.size(); ++i) check(out[i] > out[i - 1], "heads not ascending");
  return out;
}

std::vector<int64_t> decode_offsets(BlobView offsets, int64_t rows, size_t total) {
  std::vector<int64_t> out = decode_ints(offsets.data, offsets.size, int(Dtype::kInt32), rows + 1);
  check(out.front() == 0 && uint64_t(out.back()) == total, "row offsets do not span the data");
  for (size_t i = 1; i < out.size(); ++i) check(out[i] >= out[i - 1], "row offsets decrease");
  return out;
}

}  // namespace

void validate_layer_step(const LayerStep& r) {
  require(r.step >= 0 && r.layer >= 0, "layer step", "negative step or layer");
  for (size_t i = 0; i < r.scores.size(); ++i) {
    const LevelScores& s = r.scores[i];
    std::string where = level_name(r.step, r.layer, s.level) + " scores";
    require(s.level >= 0, where, "negative level");
    require(i == 0 || s.level > r.scores[i - 1].level, where, "levels not ascending");
    validate_heads(s.heads, where);
    validate_positions(s.candidates, where);
    if (s.shared()) {
      require(s.scores.size() == s.heads.size() * s.candidates.size(), where,
              "scores must be rows x candidates");
    } else {
      validate_offsets(s.row_offsets, s.heads.size(), s.candidates.size(), where);
      require(s.scores.size() == s.candidates.size(), where, "one score per candidate");
    }
  }
  for (size_t i = 0; i < r.selections.size(); ++i) {
    const LevelSelection& s = r.selections[i];
    std::string where = level_name(r.step, r.layer, s.level) + " selection";
    require(s.level >= 0, where, "negative level");
    require(i == 0 || s.level > r.selections[i - 1].level, where, "levels not ascending");
    validate_heads(s.heads, where);
    validate_positions(s.chosen, where);
    validate_offsets(s.row_offsets, s.heads.size(), s.chosen.size(), where);
  }
}

std::vector<EncodedLevel> encode_layer_step(const LayerStep& r, Dtype score_dtype) {
  std::vector<EncodedLevel> out;
  auto level_entry = [&](int32_t level) -> EncodedLevel& {
    for (EncodedLevel& e : out) {
      if (e.level == level) return e;
    }
    out.emplace_back();
    out.back().level = level;
    return out.back();
  };
  for (const LevelScores& s : r.scores) {
    EncodedLevel& e = level_entry(s.level);
    e.has_scores = true;
    e.rows = int64_t(s.heads.size());
    e.heads = encode_int32(s.heads);
    e.score_dtype = int(score_dtype);
    e.scores = encode_floats(s.scores.data(), s.scores.size(), score_dtype);
    // Store rows that scored identical lists as one shared list: no duplicated data.
    bool all_same = !s.shared() && s.rows() > 0;
    for (size_t row = 1; all_same && row < s.rows(); ++row) {
      all_same = s.row_size(row) == s.row_size(0) &&
                 std::equal(s.row_candidates(row), s.row_candidates(row) + s.row_size(row),
                            s.row_candidates(0));
    }
    if (s.shared() || all_same) {
      e.has_score_offsets = false;
      size_t n = s.rows() > 0 ? s.row_size(0) : s.candidates.size();
      e.candidates.assign(s.candidates.begin(), s.candidates.begin() + n);
    } else {
      e.has_score_offsets = true;
      e.score_offsets = encode_offsets(s.row_offsets);
      e.candidates = s.candidates;
    }
  }
  for (const LevelSelection& s : r.selections) {
    EncodedLevel& e = level_entry(s.level);
    e.has_selection = true;
    e.chosen_rows = int64_t(s.heads.size());
    e.chosen_heads = encode_int32(s.heads);
    e.chosen_offsets = encode_offsets(s.row_offsets);
    e.chosen = encode_int32_from64(s.chosen.data(), s.chosen.size());
  }
  std::sort(out.begin(), out.end(),
            [](const EncodedLevel& a, const EncodedLevel& b) { return a.level < b.level; });
  return out;
}

LevelScores decode_level_scores(int32_t level, int64_t rows, BlobView heads,
                                const std::vector<int64_t>& candidates, BlobView score_offsets,
                                bool has_score_offsets, int score_dtype, BlobView scores) {
  LevelScores out;
  out.level = level;
  out.heads = decode_heads(heads, rows);
  out.candidates = candidates;
  int64_t count;
  if (has_score_offsets) {
    out.row_offsets = decode_offsets(score_offsets, rows, candidates.size());
    count = int64_t(candidates.size());
  } else {
    check(candidates.empty() || uint64_t(rows) <= uint64_t(kMaxPosition) / candidates.size(),
          "score matrix too large");
    count = rows * int64_t(candidates.size());
  }
  out.scores = decode_floats(scores.data, scores.size, score_dtype, count);
  return out;
}

LevelSelection decode_level_selection(int32_t level, int64_t rows, BlobView heads, BlobView offsets,
                                      BlobView chosen) {
  LevelSelection out;
  out.level = level;
  out.heads = decode_heads(heads, rows);
  check(chosen.size % 4 == 0, "chosen blob is not int32");
  out.row_offsets = decode_offsets(offsets, rows, chosen.size / 4);
  out.chosen = decode_ints(chosen.data, chosen.size, int(Dtype::kInt32), int64_t(chosen.size / 4));
  for (int64_t p : out.chosen) check(p >= 0, "negative stream position");
  return out;
}

std::vector<int64_t> decode_candidate_set(BlobView positions, int64_t count) {
  std::vector<int64_t> out = decode_ints(positions.data, positions.size, int(Dtype::kInt32), count);
  for (int64_t p : out) check(p >= 0, "negative stream position");
  return out;
}

int64_t find_head_row(BlobView heads, int64_t rows, int32_t head) {
  check(rows >= 0 && heads.size == size_t(rows) * 4, "heads blob does not match its row count");
  for (int64_t r = 0; r < rows; ++r) {
    if (i32_at(heads, size_t(r)) == head) return r;
  }
  return -1;
}

}  // namespace ssa::sessions
