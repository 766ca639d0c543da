// What the host and the decode kernels share: plain structs (no LibTorch, no
// CUDA types) and the pure index rules both sides must agree on.
//
// Every rule here is SSA_HOST_DEVICE so that the kernels run exactly the code
// that tests/kernels/device_plan_test.cpp checks on the CPU against the CPU
// reference (engine/decode/chunk_selector.cpp, visible_set.cpp):
//   candidate_key      the ranking order of choose_top (score, then the lower index)
//   level_budget       k_l = min(k, cap, candidates)
//   unfolded_span      the stream range a chosen level-0 gist adds to the visible set
//   chosen_span        that range (or a meta-gist's position) past the sink
//   key_position       the i-th key of a unit's visible set (list, then ranges)
//   split_range        the keys one split of the flash-decoding reduction reads
//   bitonic_pair       one compare-exchange of the block-wide sort
//   reference_top_threshold  the radix walk of the kernels' top-k, one thread
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/mask/mask_rule.h"  // SSA_HOST_DEVICE

namespace ssa::kernels {

constexpr int kMaxLevels = 6;         // gist levels (chunk + 5 meta levels)
constexpr int kMaxLocalRanges = 16;   // contiguous runs of the training row's non-gist keys
constexpr int kMaxGroupSize = 16;     // query heads per KV head: rows of one mma tile
constexpr int kSliceSize = 256;       // candidates scored by one block
constexpr int kAttendTile = 16;       // keys per mma step of the attention
constexpr int kMaxAttendSplits = 64;  // attention blocks per unit
// The register top-k (selection_primitives.cuh): one warp-wide arg-max
// round per chosen key, so k up to this (beyond, the radix walk is cheaper),
// and the merge holds up to this many slice keys per unit (16 per lane).
constexpr int kRegisterTopK = 32;
constexpr int kRegisterMergeKeys = 512;
// The pivot top-k (warp_top_threshold_pivot): k up to this takes one pivot
// and one rank pass instead of k rounds; beyond, the pivot (the k-th largest
// lane maximum) lets too many keys through and the rounds run.
constexpr int kPivotTopK = 16;

// GQA modes, as ssa::GqaMode (selective_attention.h), by value.
enum GqaUnits : int32_t { kHeadUnits = 0, kGroupUnits = 1, kIndependentUnits = 2 };

// Which keys a unit attends to.
enum KeySource : int32_t {
  kSelectedKeys = 0,  // the selection's visible list, then the step's local ranges
  kTrainingRow = 1,   // the training-row gist list, then the local ranges (dense layers, gist-only)
  kAllKeys = 2,       // every position up to the query (full attention)
};

// Error bits a kernel raises in the error word (checked by the host).
enum DecodeError : int32_t {
  kCandidateOverflow = 1,  // a level's candidates exceed the planned capacity
  kChosenOverflow = 2,
  kUnionOverflow = 4,
  kVisibleOverflow = 8,
  kNoVisibleKey = 16,
};

// One sequence's step: everything that changes between decode steps (device
// memory, uploaded before each step). Counts are of the gists the hierarchy
// holds (GistHierarchy of the prefix plus generation gists whose KV exists).
struct SequenceStep {
  int32_t query = 0;                    // stream position; its K/V is appended first
  int32_t count[kMaxLevels] = {};       // gists per level
  int32_t first_open[kMaxLevels] = {};  // gists >= this are open candidates of their level
  int32_t k_request[kMaxLevels] = {};   // budget per level before the caps
  int32_t local_chunk_begin = 0;        // chunks >= this have their raw tokens in the ranges
  int32_t sink_end = 0;                 // positions < this (the sink) are in the ranges
  int32_t num_ranges = 0;               // the training row's non-gist keys (and unheld gists)
  int32_t range_begin[kMaxLocalRanges] = {};
  int32_t range_end[kMaxLocalRanges] = {};
  int32_t row_gist_count = 0;  // training-row keys outside the ranges (dense layers)
  int32_t append_level = -1;   // the query is a gist of this level: its key joins the gist keys
  int32_t append_index = 0;    // at this index of its level
};

// Per-sequence hierarchy arrays in device memory, [batch][capacity] each.
struct HierarchyView {
  const int32_t* gist_position[kMaxLevels] = {};  // stream position of gist j
  const int32_t* child_begin[kMaxLevels] = {};    // level >= 1: [cap + 1], first child of gist j
  const int32_t* chunk_begin = nullptr;           // first stream position of chunk j
  int32_t gist_capacity[kMaxLevels] = {};
};

// --- the ranking: choose_top's order as one unsigned key -------------------

// Monotone map of a float onto uint32 (a > b <=> bits(a) > bits(b)). NaN ranks
// as -inf (choose_top ranks NaN last) and -0 as +0 (they compare equal).
SSA_HOST_DEVICE inline uint32_t ordered_score_bits(float score) {
#if defined(__CUDA_ARCH__)
  uint32_t u = __float_as_uint(score);
#else
  uint32_t u;
  std::memcpy(&u, &score, sizeof u);
#endif
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu) != 0) u = 0xFF800000u;  // NaN
  if ((u & 0x7FFFFFFFu) == 0) u = 0;                                                // -0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// The candidate in slot `slot` of a level's (ascending) candidate list: a
// larger key ranks first; equal scores rank the lower slot (= lower gist
// index, = lower stream position) first. Never 0: 0 marks "not a candidate".
SSA_HOST_DEVICE inline uint64_t candidate_key(float score, uint32_t slot) {
  return (static_cast<uint64_t>(ordered_score_bits(score)) << 32) |
         static_cast<uint64_t>(0xFFFFFFFFu - slot);
}
// The score a key was made from (NaN comes back as -inf, -0 as +0).
SSA_HOST_DEVICE inline float score_of_key(uint64_t key) {
  const uint32_t o = static_cast<uint32_t>(key >> 32);
  const uint32_t u = (o & 0x80000000u) ? (o & 0x7FFFFFFFu) : ~o;
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}
constexpr uint64_t kNotCandidate = 0;
constexpr uint64_t kSelectNone = ~0ull;  // a threshold no key reaches
SSA_HOST_DEVICE inline uint32_t key_slot(uint64_t key) {
  return 0xFFFFFFFFu - static_cast<uint32_t>(key);
}

// --- budgets --------------------------------------------------------------

SSA_HOST_DEVICE inline int32_t min32(int32_t a, int32_t b) {
  return a < b ? a : b;
}
SSA_HOST_DEVICE inline int32_t max32(int32_t a, int32_t b) {
  return a > b ? a : b;
}

// k_l before the candidates are known: min(k, max(1, n_l / 4)) or min(k, n_l).
SSA_HOST_DEVICE inline int32_t capped_budget(int32_t k_request, bool quarter_cap,
                                             int32_t level_count) {
  const int32_t cap = quarter_cap ? max32(1, level_count / 4) : level_count;
  return min32(k_request, cap);
}
// chunk_selector's level_budget: also never more than the candidates on offer.
SSA_HOST_DEVICE inline int32_t level_budget(int32_t k_request, bool quarter_cap,
                                            int32_t level_count, int32_t candidates) {
  return max32(0, min32(capped_budget(k_request, quarter_cap, level_count), candidates));
}

// --- units ----------------------------------------------------------------

// Choosing units per KV group: every head (head, independent) or the group.
SSA_HOST_DEVICE inline int32_t units_per_group(int32_t mode, int32_t group_size) {
  return mode == kGroupUnits ? 1 : group_size;
}
// Attention units per KV group: one shared visible set, or one per head.
SSA_HOST_DEVICE inline int32_t attention_units_per_group(int32_t mode, int32_t group_size) {
  return mode == kIndependentUnits ? group_size : 1;
}
// Bits of the choosing units (of a group) whose chosen sets make up the
// visible set of attention unit `a`: all of them, or head a alone.
SSA_HOST_DEVICE inline uint32_t attention_unit_members(int32_t mode, int32_t group_size,
                                                       int32_t a) {
  if (mode == kIndependentUnits) return 1u << a;
  const int32_t units = units_per_group(mode, group_size);
  return units >= 32 ? 0xFFFFFFFFu : (1u << units) - 1u;
}

// --- visible sets ---------------------------------------------------------

// The stream range [first, last] that chosen level-0 gist j adds: its whole
// chunk, or only the gist when the chunk's raw tokens are local already.
struct Span {
  int32_t first = 0, last = -1;
  SSA_HOST_DEVICE int32_t length() const { return last - first + 1; }
};
SSA_HOST_DEVICE inline Span unfolded_span(int32_t j, int32_t local_chunk_begin,
                                          const int32_t* chunk_begin, const int32_t* gist0) {
  Span s;
  s.last = gist0[j];
  s.first = j < local_chunk_begin ? chunk_begin[j] : s.last;
  return s;
}

// What chosen gist j of `level` adds to the visible set: its chunk's span at
// level 0, its own position above; minus the sink, which the ranges hold
// already (a sink longer than the text holds its final gists too).
SSA_HOST_DEVICE inline Span chosen_span(int level, int32_t j, const SequenceStep& step,
                                        const int32_t* chunk_begin, const int32_t* gist0,
                                        const int32_t* positions) {
  Span s = level == 0 ? unfolded_span(j, step.local_chunk_begin, chunk_begin, gist0)
                      : Span{positions[j], positions[j]};
  if (s.first < step.sink_end) s.first = step.sink_end;
  if (s.last < s.first) s.last = s.first - 1;  // empty
  return s;
}

SSA_HOST_DEVICE inline int32_t range_key_count(const SequenceStep& s) {
  int32_t n = 0;
  for (int r = 0; r < s.num_ranges; ++r) n += s.range_end[r] - s.range_begin[r];
  return n;
}

// Keys of a unit: `listed` positions (the visible list or the training-row
// gists), then the step's ranges; or every position up to the query.
SSA_HOST_DEVICE inline int32_t source_key_count(int32_t source, const SequenceStep& s,
                                                int32_t listed) {
  if (source == kAllKeys) return s.query + 1;
  return listed + range_key_count(s);
}
// The stream position of key i (i < source_key_count), or -1 past the end.
SSA_HOST_DEVICE inline int32_t key_position(int32_t source, const SequenceStep& s,
                                            const int32_t* list, int32_t listed, int32_t i) {
  if (source == kAllKeys) return i <= s.query ? i : -1;
  if (i < listed) return list[i];
  i -= listed;
  for (int r = 0; r < s.num_ranges; ++r) {
    const int32_t n = s.range_end[r] - s.range_begin[r];
    if (i < n) return s.range_begin[r] + i;
    i -= n;
  }
  return -1;
}

// Keys [begin, end) of split `split` among `splits` (whole tiles each).
SSA_HOST_DEVICE inline void split_range(int32_t total, int32_t splits, int32_t split, int32_t tile,
                                        int32_t* begin, int32_t* end) {
  int32_t per = (total + splits - 1) / splits;
  per = (per + tile - 1) / tile * tile;
  const int64_t b = static_cast<int64_t>(split) * per;
  *begin = b < total ? static_cast<int32_t>(b) : total;
  *end = min32(total, *begin + per);
}

// --- sorting ---------------------------------------------------------------

// Compare-exchange `t` (of n / 2) of the bitonic sort's step (size, stride):
// sorts ascending once every (size, stride) step ran in order.
SSA_HOST_DEVICE inline void bitonic_pair(int32_t t, int32_t size, int32_t stride, int32_t* lo,
                                         int32_t* hi, bool* ascending) {
  *lo = 2 * t - (t & (stride - 1));
  *hi = *lo + stride;
  *ascending = (*lo & size) == 0;
}
SSA_HOST_DEVICE inline int32_t next_pow2(int32_t n) {
  int32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// --- the top-k walk ---------------------------------------------------------

// One lane's part of the warp's bin search: the lane holds bins
// 255 - 8 * lane .. 248 - 8 * lane (counts c, top bin first) and the keys of
// the higher bins number `exclusive`. True when the count from the top
// reaches `remaining` inside this lane's bins: then *bin is that bin,
// *above the keys in higher bins, *in_bin its keys.
SSA_HOST_DEVICE inline bool lane_bin(const uint32_t (&c)[8], int lane, uint32_t exclusive,
                                     uint32_t remaining, uint32_t* bin, uint32_t* above,
                                     uint32_t* in_bin) {
  uint32_t run = exclusive;
  for (int j = 0; j < 8; ++j) {
    if (run < remaining && run + c[j] >= remaining) {
      *bin = static_cast<uint32_t>(255 - 8 * lane - j);
      *above = run;
      *in_bin = c[j];
      return true;
    }
    run += c[j];
  }
  return false;
}

// The threshold of the kernels' top-k, one thread: exactly min(k, valid) of
// the nonzero keys (distinct) are >= the result; kSelectNone when k <= 0 or
// nothing is valid. Byte by byte from the first byte where valid keys
// differ, keeping the bin where the count from the top reaches k. The warp
// version (selection_primitives.cuh) walks the same bytes with a histogram.
inline uint64_t reference_top_threshold(const uint64_t* keys, int32_t n, int32_t k) {
  int32_t valid = 0;
  uint64_t all_and = ~0ull, any_or = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (keys[i] == kNotCandidate) continue;
    ++valid;
    all_and &= keys[i];
    any_or |= keys[i];
  }
  if (k <= 0 || valid == 0) return kSelectNone;
  if (k >= valid) return 1;
  const uint64_t differ = all_and ^ any_or;
  int shift = 56;
  while (((differ >> shift) & 0xFF) == 0) shift -= 8;
  uint64_t high_mask = shift == 56 ? 0 : ~0ull << (shift + 8);
  uint64_t prefix = all_and & high_mask;
  uint32_t remaining = static_cast<uint32_t>(k);
  for (; shift >= 0; shift -= 8) {
    uint32_t hist[256] = {};
    for (int32_t i = 0; i < n; ++i) {
      if (keys[i] != kNotCandidate && (keys[i] & high_mask) == prefix)
        ++hist[(keys[i] >> shift) & 0xFF];
    }
    uint32_t above = 0;
    int bin = 255;
    while (above + hist[bin] < remaining) above += hist[bin--];
    remaining -= above;
    prefix |= static_cast<uint64_t>(bin) << shift;
    high_mask |= 0xFFull << shift;
    if (hist[bin] == remaining) break;
  }
  return prefix;
}

}  // namespace ssa::kernels
