// Gist selection: score a level's candidates, choose per unit, descend.
//
// Computes, for every (sequence, KV group, level), what select_chunks does
// for each choosing unit of the group (engine/decode/chunk_selector.cpp; CPU
// reference of the whole step: selective_attention()), and at level 0 the
// visible lists of visible_keys() (engine/decode/visible_set.cpp) without the
// local ranges. Benchmark: `ssa-workbench bench kernels` (the SSA rows).
// Built for sm_90a (-gencode=arch=compute_90a,code=sm_90a) by kernels/CMakeLists.txt.
//
// One kernel, one launch per level, grid (slices, KV heads, batch), 256 threads:
//   slice   score kSliceSize candidates against the group's G query heads
//           (version 1: fp32 loops; version 2: bf16 mma, one 16-byte load per
//           thread and row, fp32 accumulation), keep every unit's top k of the
//           slice (warp_top_threshold) as 64-bit keys: score, then lower slot.
//   tail    the last block of the group (an atomic counter) merges the slices
//           per unit, writes the unit's chosen gists (ascending), and builds
//           the next level's candidates: the children of the union of the
//           group's chosen gists (bitonic sort in shared memory, in global
//           scratch when larger) with each child's unit bits, then the
//           level's open gists. At level 0 it writes the visible lists.
// The two-pass selection (two_pass_level, per level), two launches instead:
//   scores  the slice blocks score as above, store every unit's candidate
//           scores (choice_scores) and exit: no slice top-k, no counter;
//   choose  one block per unit (grid units, KV heads, batch) takes the
//           unit's top k of the whole level (block_top_threshold), writes
//           its chosen gists; the group's last block runs the tail above,
//           except at level 0 with one choosing unit per attention unit
//           (group and independent modes): each block writes its unit's
//           visible list itself, with no tail.
// Bytes: the level's candidate keys once (D * 2 bytes each); everything else
// is a few kilobytes per group (two-pass: + 4 bytes per candidate and unit,
// written and read back through L2).
#include "kernels/gist_selection.h"

#include <stdexcept>
#include <string>

#include "kernels/cuda_check.h"
#include "kernels/launch.h"
#include "kernels/mma_bf16.cuh"
#include "kernels/phase_clock.cuh"
#include "kernels/selection_primitives.cuh"

namespace ssa::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kSmemSort = 1024;  // uint64 entries in shared memory: unions up to 512

struct SliceSmem {
  float scores[kMaxGroupSize + 1][kSliceSize];  // per head; row kMaxGroupSize: the group's sum
  uint32_t units[kSliceSize];                   // which units may choose each candidate
};
struct TailSmem {
  uint64_t sort[kSmemSort];
  int32_t scan[kSmemSort / 2];
  int32_t offsets[kMaxGroupSize + 1];
  // The register merge leaves its choices here too, so that the union of
  // this level reads them without two round trips to global memory.
  int32_t staged[kMaxGroupSize][kRegisterTopK];
  int32_t staged_count[kMaxGroupSize];
  int32_t staged_level;  // the level staged, or -1
};
struct Smem {
  union {
    SliceSmem slice;
    TailSmem tail;
    BlockTopScratch choose;  // the two-pass choose kernel's top-k
  };
  alignas(8) uint32_t hist[kWarps][256];  // also pivot_scratch's uint64 keys
  int32_t scan_scratch[33];
  int32_t flag;
};

// The pivot top-k's 32 keys of packing space: the warp's radix histogram,
// which the register paths leave unused.
__device__ __forceinline__ uint64_t* pivot_scratch(Smem& sm, int warp) {
  return reinterpret_cast<uint64_t*>(sm.hist[warp]);
}

__device__ __forceinline__ void raise_error(const SelectionParams& p, int32_t bit) {
  if (p.errors) atomicOr(p.errors, bit);
}

// --- slice: scores ----------------------------------------------------------

// Version 1: one thread per (head, candidate), a plain fp32 dot product.
template <int D>
__device__ void score_slice_simple(const SelectionParams& p, const uint16_t* q,
                                   const uint16_t* keys, const int32_t* slot_index, int32_t n_slice,
                                   SliceSmem& s) {
  const int G = p.group_size;
  for (int32_t pair = threadIdx.x; pair < G * n_slice; pair += blockDim.x) {
    const int32_t r = pair / n_slice, i = pair - r * n_slice;
    const uint16_t* k = keys + static_cast<int64_t>(slot_index[i]) * D;
    const uint16_t* qr = q + r * D;
    float acc = 0;
    for (int d = 0; d < D; ++d) acc = fmaf(bf16_to_float(qr[d]), bf16_to_float(k[d]), acc);
    s.scores[r][i] = acc;
  }
}

// Version 2: warp w scores candidates [32w, 32w + 32) of the slice as four
// n8 tiles of an m16n8k16 product (rows: query heads, zero past G).
template <int D>
__device__ void score_slice_mma(const SelectionParams& p, const uint16_t* q, const uint16_t* keys,
                                const int32_t* slot_index, int32_t n_slice, SliceSmem& s) {
  constexpr int J = D / 32;  // 16-byte segments per thread and row
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int G = p.group_size;
  uint4 qa[J], qb[J];
#pragma unroll
  for (int j = 0; j < J; ++j) {
    // An absent head's row reads head 0 (load16 loads unconditionally).
    qa[j] = load16(q + (g < G ? g : 0) * D + 32 * j + 8 * t, g < G);
    qb[j] = load16(q + (g + 8 < G ? g + 8 : 0) * D + 32 * j + 8 * t, g + 8 < G);
  }
  uint4 kr[4][J];
#pragma unroll
  for (int tile = 0; tile < 4; ++tile) {
    const int32_t i = 32 * warp + 8 * tile + g;
    const bool present = i < n_slice;
    const uint16_t* row = keys + (present ? static_cast<int64_t>(slot_index[i]) * D : 0);
#pragma unroll
    for (int j = 0; j < J; ++j) kr[tile][j] = load16(row + 32 * j + 8 * t, present);
  }
#pragma unroll
  for (int tile = 0; tile < 4; ++tile) {
    float c[4] = {0, 0, 0, 0};
#pragma unroll
    for (int j = 0; j < J; ++j) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const uint32_t a[4] = {word(qa[j], 2 * half), word(qb[j], 2 * half),
                               word(qa[j], 2 * half + 1), word(qb[j], 2 * half + 1)};
        const uint32_t b[2] = {word(kr[tile][j], 2 * half), word(kr[tile][j], 2 * half + 1)};
        mma_bf16_16x8x16(c, a, b);
      }
    }
    const int32_t i = 32 * warp + 8 * tile + 2 * t;
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      if (i + e >= n_slice) continue;
      if (g < G) s.scores[g][i + e] = c[e];
      if (g + 8 < G) s.scores[g + 8][i + e] = c[2 + e];
    }
  }
}

// --- tail: the union of chosen gists ------------------------------------------

struct UnionBuffers {
  uint64_t* sort;  // 2 * capacity entries: sorting area, then the unique entries
  int32_t* scan;   // capacity entries
  int32_t capacity;
};

// Number of entries of the ascending list[0 .. n) below x.
__device__ __forceinline__ int32_t count_below(const uint64_t* list, int32_t n, uint64_t x) {
  int32_t lo = 0;
  while (n > 0) {
    const int32_t half = n >> 1;
    if (list[lo + half] < x) {
      lo += half + 1;
      n -= half + 1;
    } else {
      n = half;
    }
  }
  return lo;
}

// chosen[level] of the group's units in `members`, sorted, duplicates kept:
// (gist index << 32 | unit bit) at buf->sort[0 .. m); returns m, *padded the
// power of two above it (buf->sort + *padded is free for the caller).
// Each unit's chosen list is ascending, so in shared memory the union is a
// merge by rank (every entry counts the smaller ones of the other lists:
// two barriers); the larger unions in global scratch keep the bitonic sort.
// Either way the sorted entries are the same: (gist, unit) pairs are distinct.
// Unstaged choices may come from other blocks (the two-pass choose kernel):
// read from L2 (__ldcg), never a stale L1 line.
__device__ int32_t block_sorted_choices(const SelectionParams& p, int level, int b, int g,
                                        uint32_t members, Smem& sm, const UnionBuffers& global,
                                        UnionBuffers* sorted, int32_t* padded) {
  const int U = units_per_group(p.mode, p.group_size);
  const int units_total = p.kv_heads * U;
  const int32_t cap = p.chosen_capacity[level];
  const int32_t* chosen = p.chosen[level] + (static_cast<int64_t>(b) * units_total + g * U) * cap;
  const int32_t* counts = p.chosen_count[level] + b * units_total + g * U;
  // The level the register merge just chose is in shared memory.
  const bool staged = sm.tail.staged_level == level;
  // Every unit's count in one round trip, offsets by a warp scan (U <= 16).
  if (threadIdx.x < 32) {
    const int u = threadIdx.x;
    const uint32_t n =
        u < U && ((members >> u) & 1u)
            ? static_cast<uint32_t>(staged ? sm.tail.staged_count[u] : __ldcg(counts + u))
            : 0u;
    const uint32_t inclusive = warp_inclusive_scan(n);
    if (u < U) sm.tail.offsets[u] = static_cast<int32_t>(inclusive - n);
    if (u == U - 1) sm.tail.offsets[U] = static_cast<int32_t>(inclusive);
  }
  __syncthreads();
  int32_t m = sm.tail.offsets[U];
  const int32_t P = next_pow2(max32(m, 1));
  UnionBuffers buf{sm.tail.sort, sm.tail.scan, kSmemSort / 2};
  if (P > buf.capacity) buf = global;
  if (P > buf.capacity) {
    if (threadIdx.x == 0) raise_error(p, kUnionOverflow);
    m = 0;
  }
  const int32_t Pm = next_pow2(max32(m, 1));
  const bool several = __popc(members) > 1;
  const bool by_rank = several && buf.sort == sm.tail.sort;
  // Entries in unit order: where they are merged from (by rank: the upper
  // half, which the unique entries overwrite later), else in place.
  uint64_t* staging = by_rank ? buf.sort + Pm : buf.sort;
  if (!by_rank)
    for (int32_t i = m + threadIdx.x; i < Pm; i += blockDim.x) buf.sort[i] = ~0ull;
  for (int32_t i = threadIdx.x; i < m; i += blockDim.x) {
    int u = 0;
    while (i >= sm.tail.offsets[u + 1]) ++u;  // units outside `members` hold nothing
    const int32_t at = i - sm.tail.offsets[u];
    staging[i] =
        (static_cast<uint64_t>(staged ? sm.tail.staged[u][at] : __ldcg(chosen + u * cap + at))
         << 32) |
        (1u << u);
  }
  __syncthreads();
  if (by_rank) {
    for (int32_t i = threadIdx.x; i < m; i += blockDim.x) {
      const uint64_t x = staging[i];
      int32_t rank = 0;
      for (int v = 0; v < U; ++v) {
        const int32_t first = sm.tail.offsets[v], n = sm.tail.offsets[v + 1] - first;
        rank += (i >= first && i < first + n) ? i - first : count_below(staging + first, n, x);
      }
      buf.sort[rank] = x;
    }
    __syncthreads();
  } else if (several) {
    block_bitonic_sort(buf.sort, Pm);
  }
  *sorted = buf;
  *padded = Pm;
  return m;
}

// Sorted unique union of chosen[level] over the group's units in `members`,
// as (gist index << 32 | unit bits), left at used->sort; returns the count.
__device__ int32_t block_union(const SelectionParams& p, int level, int b, int g, uint32_t members,
                               Smem& sm, const UnionBuffers& global, UnionBuffers* used) {
  UnionBuffers buf;
  int32_t Pm = 1;
  const int32_t m = block_sorted_choices(p, level, b, g, members, sm, global, &buf, &Pm);
  for (int32_t i = threadIdx.x; i < m; i += blockDim.x)
    buf.scan[i] = (i == 0 || (buf.sort[i] >> 32) != (buf.sort[i - 1] >> 32)) ? 1 : 0;
  __syncthreads();
  const int32_t unique = block_exclusive_scan(buf.scan, m, sm.scan_scratch);
  uint64_t* out = buf.sort + Pm;
  for (int32_t i = threadIdx.x; i < m; i += blockDim.x) {
    const uint64_t head = buf.sort[i] >> 32;
    if (i > 0 && (buf.sort[i - 1] >> 32) == head) continue;
    uint32_t bits = 0;
    for (int32_t j = i; j < m && (buf.sort[j] >> 32) == head; ++j)
      bits |= static_cast<uint32_t>(buf.sort[j]);
    out[buf.scan[i]] = (head << 32) | bits;
  }
  __syncthreads();
  *used = buf;
  used->sort = out;
  return unique;
}

// --- tail: choose ---------------------------------------------------------

// Top-p over the keys: the smallest best-first set whose softmax mass reaches
// top_p (choose_top), as a threshold. Radix walk by 4-bit digits over the
// mass; sums in a fixed order, so the result does not vary between runs.
template <typename KeyAt>
__device__ uint64_t warp_top_p_threshold(const KeyAt& key_at, int32_t n, float top_p) {
  const int lane = threadIdx.x & 31;
  uint64_t best = 0;
  for (int32_t i = lane; i < n; i += 32) best = max(best, key_at(i));
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) best = max(best, __shfl_xor_sync(kFullWarp, best, d));
  if (best == kNotCandidate) return kSelectNone;
  const double top = score_of_key(best);
  double total = 0;
  for (int32_t i = lane; i < n; i += 32) {
    const uint64_t key = key_at(i);
    if (key != kNotCandidate) total += exp(static_cast<double>(score_of_key(key)) - top);
  }
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) total += __shfl_xor_sync(kFullWarp, total, d);
  const double target = static_cast<double>(top_p) * total;
  uint64_t prefix = 0, high_mask = 0;
  double above = 0;  // mass of the keys above the current prefix range
  for (int shift = 60; shift >= 0; shift -= 4) {
    double mass[16];
    uint32_t count[16];
#pragma unroll
    for (int j = 0; j < 16; ++j) mass[j] = 0, count[j] = 0;
    for (int32_t i = lane; i < n; i += 32) {
      const uint64_t key = key_at(i);
      if (key == kNotCandidate || (key & high_mask) != prefix) continue;
      const double w = exp(static_cast<double>(score_of_key(key)) - top);
      const int digit = static_cast<int>((key >> shift) & 0xF);
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        if (digit == j) mass[j] += w, count[j] += 1;
      }
    }
#pragma unroll
    for (int j = 0; j < 16; ++j) {
#pragma unroll
      for (int d = 16; d > 0; d >>= 1) {
        mass[j] += __shfl_xor_sync(kFullWarp, mass[j], d);
        count[j] += __shfl_xor_sync(kFullWarp, count[j], d);
      }
    }
    // The highest digit whose keys bring the running mass to the target;
    // rounding may leave it short: then the whole range is taken.
    int bin = -1;
    uint32_t in_bin = 0;
#pragma unroll
    for (int j = 15; j >= 0; --j) {
      if (bin < 0 && count[j] > 0) {
        if (above + mass[j] >= target) {
          bin = j;
          in_bin = count[j];
        } else {
          above += mass[j];
        }
      }
    }
    if (bin < 0) return prefix > 0 ? prefix : 1;
    prefix |= static_cast<uint64_t>(bin) << shift;
    high_mask |= 0xFull << shift;
    if (in_bin == 1) break;
  }
  return prefix > 0 ? prefix : 1;
}

constexpr int kMergePerLane = kRegisterMergeKeys / 32;

// Where a merge finds a group's units and their slice rows.
struct GroupMerge {
  int lane, warp, U, units_total;
  int32_t pc, cap;  // keys per slice row, chosen per unit
  int64_t region;   // the group's first slice row
};
__device__ __forceinline__ GroupMerge group_merge(const SelectionParams& p, int level, int b,
                                                  int g) {
  GroupMerge m;
  m.lane = threadIdx.x & 31;
  m.warp = threadIdx.x >> 5;
  m.U = units_per_group(p.mode, p.group_size);
  m.units_total = p.kv_heads * m.U;
  m.pc = p.partial_capacity;
  m.cap = p.chosen_capacity[level];
  m.region = static_cast<int64_t>(b * p.kv_heads + g) * p.max_slices * m.U;
  return m;
}

// The register merge (warp_top_threshold_registers): warp u loads unit u's
// slice keys straight into registers in one round trip (the slices padded
// their rows with kNotCandidate, so no count is needed), no block-wide copy
// and no barrier; one arg-max round per chosen key. True when it ran.
__device__ bool choose_units_in_registers(const SelectionParams& p, int level, int b, int g,
                                          const int32_t* slot_index, bool top, int32_t slices,
                                          Smem& sm) {
  const GroupMerge m = group_merge(p, level, b, g);
  const SequenceStep& step = p.steps[b];
  const int32_t flat = slices * m.pc;
  if (!p.register_top_k || p.top_p > 0 || flat > kRegisterMergeKeys ||
      capped_budget(step.k_request[level], p.quarter_cap, step.count[level]) > kRegisterTopK)
    return false;
  // Key f = lane + 32 j is key f % pc of slice f / pc: stepped, not divided.
  const int32_t slice_step = 32 / m.pc, index_step = 32 % m.pc;
  for (int u = m.warp; u < m.U; u += kWarps) {
    const int64_t unit_row = m.region + u;
    const uint64_t* unit_keys = p.partial_keys + unit_row * m.pc;  // slice s: + s * U * pc
    uint64_t key[kMergePerLane];
    int32_t sl = m.lane / m.pc, at = m.lane - sl * m.pc;
#pragma unroll
    for (int j = 0; j < kMergePerLane; ++j) {
      // Unconditional loads (an absent key reads key 0): none waits in a branch.
      const bool present = 32 * j + m.lane < flat;
      const uint64_t loaded = __ldcg(unit_keys + (present ? sl * m.U * m.pc + at : 0));
      key[j] = present ? loaded : kNotCandidate;
      sl += slice_step;
      at += index_step;
      if (at >= m.pc) at -= m.pc, ++sl;
    }
    uint32_t offered = 0;
    for (int32_t sv = m.lane; sv < slices; sv += 32)
      offered += static_cast<uint32_t>(__ldcg(p.partial_valid + unit_row + sv * m.U));
    offered = warp_sum(offered);
    const int32_t k = level_budget(step.k_request[level], p.quarter_cap, step.count[level],
                                   static_cast<int32_t>(offered));
    const TopThreshold top_k = p.pivot_top_k
                                   ? warp_top_threshold_pivot(key, k, pivot_scratch(sm, m.warp))
                                   : warp_top_threshold_registers(key, k);
    int32_t* chosen =
        p.chosen[level] + (static_cast<int64_t>(b) * m.units_total + g * m.U + u) * m.cap;
    // min(k, valid) <= kRegisterTopK keys pass: every one fits the staging.
    const int32_t n =
        warp_compact_registers(key, top_k.threshold, [&](int32_t, uint64_t kept, int32_t rank) {
          if (rank < m.cap) {
            const uint32_t slot = key_slot(kept);
            const int32_t gist = top ? static_cast<int32_t>(slot) : slot_index[slot];
            chosen[rank] = gist;
            sm.tail.staged[u][rank] = gist;
          }
        });
    if (m.lane == 0) {
      if (n > m.cap) raise_error(p, kChosenOverflow);
      p.chosen_count[level][b * m.units_total + g * m.U + u] = min32(n, m.cap);
      sm.tail.staged_count[u] = min32(n, m.cap);
    }
  }
  if (threadIdx.x == 0) sm.tail.staged_level = level;
  __syncthreads();
  return true;
}

// Every unit of the group: merge the slices' keys into the level's choice.
__device__ void choose_units(const SelectionParams& p, int level, int b, int g,
                             const int32_t* slot_index, bool top, int32_t slices, Smem& sm,
                             unsigned char* merge_smem) {
  const GroupMerge m = group_merge(p, level, b, g);
  const int lane = m.lane, warp = m.warp, U = m.U, units_total = m.units_total;
  const SequenceStep& step = p.steps[b];
  const int32_t pc = m.pc, cap = m.cap;
  // The group's slice results in shared memory when they fit: one bulk copy
  // with many loads in flight, instead of a chain of L2 round trips per key.
  const int64_t region = m.region;
  const int32_t entries = slices * U;
  const bool shared = p.merge_shared_bytes > 0;
  uint64_t* keys = reinterpret_cast<uint64_t*>(merge_smem);
  int32_t* counts = reinterpret_cast<int32_t*>(keys + static_cast<int64_t>(entries) * pc);
  int32_t* valid = counts + entries;
  const int32_t flat = slices * pc;  // keys on offer per unit
  if (shared) {
    for (int32_t i = threadIdx.x; i < entries; i += blockDim.x) {
      counts[i] = __ldcg(p.partial_count + region + i);
      valid[i] = __ldcg(p.partial_valid + region + i);
    }
    __syncthreads();
    // Unit-major and masked: key f of unit u at keys[u * flat + f], zero
    // (not a candidate) past its slice's count, so that the walks below read
    // one word per key. 16 loads in flight per thread: one round trip for
    // 4096 keys (32 slices of 7 units of 16), where 4 in flight took four.
    const uint64_t* src = p.partial_keys + region * pc;
    const int32_t n = entries * pc;
    constexpr int kInFlight = 16;
    for (int32_t i = threadIdx.x; i < n; i += kInFlight * blockDim.x) {
      uint64_t v[kInFlight];
#pragma unroll
      for (int j = 0; j < kInFlight; ++j) {
        const int32_t at = i + j * blockDim.x;
        const int32_t u = at / flat, f = at - u * flat, s = f / pc, k = f - s * pc;
        const int32_t row = s * U + u;
        v[j] = at < n && k < counts[row] ? __ldcg(src + static_cast<int64_t>(row) * pc + k)
                                         : kNotCandidate;
      }
#pragma unroll
      for (int j = 0; j < kInFlight; ++j) {
        const int32_t at = i + j * blockDim.x;
        if (at < n) keys[at] = v[j];
      }
    }
    __syncthreads();
  }
  for (int u = warp; u < U; u += kWarps) {
    const int64_t unit_row = region + u;
    uint32_t offered = 0;
    for (int32_t s = lane; s < slices; s += 32)
      offered += shared ? valid[s * U + u] : __ldcg(p.partial_valid + unit_row + s * U);
    offered = warp_sum(offered);
    const uint64_t* unit_keys = keys + static_cast<int64_t>(u) * flat;
    auto key_at = [&](int32_t f) -> uint64_t {
      if (shared) return unit_keys[f];
      const int32_t s = f / pc, i = f - s * pc;
      const int64_t row = unit_row + static_cast<int64_t>(s) * U;
      return i < __ldcg(p.partial_count + row) ? __ldcg(p.partial_keys + row * pc + i)
                                               : kNotCandidate;
    };
    uint64_t threshold;
    if (p.top_p > 0) {
      threshold = warp_top_p_threshold(key_at, flat, p.top_p);
    } else {
      const int32_t k = level_budget(step.k_request[level], p.quarter_cap, step.count[level],
                                     static_cast<int32_t>(offered));
      threshold = warp_top_threshold(key_at, flat, k, sm.hist[warp]).threshold;
    }
    int32_t* chosen = p.chosen[level] + (static_cast<int64_t>(b) * units_total + g * U + u) * cap;
    const int32_t n = warp_compact(
        flat, [&](int32_t f) { return key_at(f) >= threshold; },
        [&](int32_t f, int32_t rank) {
          if (rank < cap) {
            const uint32_t slot = key_slot(key_at(f));
            chosen[rank] = top ? static_cast<int32_t>(slot) : slot_index[slot];
          }
        });
    if (lane == 0) {
      if (n > cap) raise_error(p, kChosenOverflow);
      p.chosen_count[level][b * units_total + g * U + u] = min32(n, cap);
    }
  }
  __syncthreads();
}

// The candidates of level - 1: children of the chosen gists, then open gists.
__device__ void build_candidates(const SelectionParams& p, int level, int b, int g, Smem& sm,
                                 const UnionBuffers& global, unsigned long long* stamps) {
  const int U = units_per_group(p.mode, p.group_size);
  const uint32_t all = U >= 32 ? 0xFFFFFFFFu : (1u << U) - 1u;
  const int bg = b * p.kv_heads + g;
  const SequenceStep& step = p.steps[b];
  UnionBuffers buf;
  const int32_t parents = block_union(p, level, b, g, all, sm, global, &buf);
  record_phase(stamps, kSelUnion);
  const int32_t* child_begin = p.hierarchy.child_begin[level] +
                               static_cast<int64_t>(b) * (p.hierarchy.gist_capacity[level] + 1);
  for (int32_t i = threadIdx.x; i < parents; i += blockDim.x) {
    const int32_t j = static_cast<int32_t>(buf.sort[i] >> 32);
    buf.scan[i] = child_begin[j + 1] - child_begin[j];
  }
  __syncthreads();
  const int32_t children = block_exclusive_scan(buf.scan, parents, sm.scan_scratch);
  const int32_t below = level - 1;
  const int32_t open_first = step.first_open[below];
  const int32_t open = max32(0, step.count[below] - open_first);
  const int32_t cap = p.candidate_capacity[below];
  int32_t* out = p.candidates[below] + static_cast<int64_t>(bg) * cap;
  uint32_t* out_units = p.candidate_units[below] + static_cast<int64_t>(bg) * cap;
  for (int32_t i = threadIdx.x; i < parents; i += blockDim.x) {
    const int32_t j = static_cast<int32_t>(buf.sort[i] >> 32);
    const uint32_t bits = static_cast<uint32_t>(buf.sort[i]);
    for (int32_t c = child_begin[j], at = buf.scan[i]; c < child_begin[j + 1]; ++c, ++at) {
      if (at < cap) out[at] = c, out_units[at] = bits;
    }
  }
  for (int32_t o = threadIdx.x; o < open; o += blockDim.x) {
    const int32_t at = children + o;
    if (at < cap) out[at] = open_first + o, out_units[at] = all;
  }
  if (threadIdx.x == 0) {
    if (children + open > cap) raise_error(p, kCandidateOverflow);
    p.candidate_count[below][bg] = min32(children + open, cap);
  }
  __syncthreads();
}

// Whether each attention unit's visible set is one choosing unit's (group
// and independent modes, or head mode with one head a group): its chosen
// lists are ascending and distinct already, so its visible list needs no
// union.
__device__ __forceinline__ bool one_chooser_per_attention_unit(const SelectionParams& p) {
  return p.mode == kIndependentUnits || units_per_group(p.mode, p.group_size) == 1;
}

// One warp writes attention unit a's visible list, whose one choosing unit
// is u (one_chooser_per_attention_unit): every level's chosen spans, the top
// level first. `staged`: the tail's shared memory, whose staged level is read
// from there (the register merge left it), or null (all from memory).
__device__ void write_unit_visible(const SelectionParams& p, int b, int g, int a, int u,
                                   const TailSmem* staged) {
  const int G = p.group_size;
  const int A = attention_units_per_group(p.mode, G);
  const int U = units_per_group(p.mode, G), units_total = p.kv_heads * U;
  const SequenceStep& step = p.steps[b];
  const HierarchyView& h = p.hierarchy;
  const int32_t* gist0 = h.gist_position[0] + static_cast<int64_t>(b) * h.gist_capacity[0];
  const int32_t* chunk_begin = h.chunk_begin + static_cast<int64_t>(b) * h.gist_capacity[0];
  const int lane = lane_id();
  const int64_t unit = static_cast<int64_t>(b) * p.kv_heads * A + g * A + a;
  int32_t* out = p.visible + unit * p.visible_capacity;
  int32_t written = 0;
  for (int level = p.num_levels - 1; level >= 0; --level) {
    // Choices from memory may come from other blocks: read from L2.
    const bool in_smem = staged != nullptr && staged->staged_level == level;
    const int32_t cap = p.chosen_capacity[level];
    const int64_t chooser = static_cast<int64_t>(b) * units_total + g * U + u;
    const int32_t* chosen = p.chosen[level] + chooser * cap;
    const int32_t n = in_smem ? staged->staged_count[u] : __ldcg(p.chosen_count[level] + chooser);
    const int32_t* positions =
        h.gist_position[level] + static_cast<int64_t>(b) * h.gist_capacity[level];
    for (int32_t base = 0; base < n; base += 32) {
      const int32_t i = base + lane;
      Span span{0, -1};
      if (i < n) {
        const int32_t j = in_smem ? staged->staged[u][i] : __ldcg(chosen + i);
        span = chosen_span(level, j, step, chunk_begin, gist0, positions);
      }
      const uint32_t length = static_cast<uint32_t>(span.length());
      const uint32_t inclusive = warp_inclusive_scan(length);
      int32_t at = written + static_cast<int32_t>(inclusive - length);
      for (int32_t pos = span.first; pos <= span.last; ++pos, ++at) {
        if (at < p.visible_capacity) out[at] = pos;
      }
      written += static_cast<int32_t>(__shfl_sync(kFullWarp, inclusive, 31));
    }
  }
  if (lane == 0) {
    if (written > p.visible_capacity) raise_error(p, kVisibleOverflow);
    p.visible_count[unit] = min32(written, p.visible_capacity);
  }
}

// build_visible where one_chooser_per_attention_unit: a warp per attention
// unit, the units side by side (the block path takes a round of barriers per
// unit and level, one unit after another).
__device__ void build_visible_by_warps(const SelectionParams& p, int b, int g, Smem& sm,
                                       unsigned long long* stamps) {
  const int A = attention_units_per_group(p.mode, p.group_size);
  record_phase(stamps, kSelUnion);  // no union to build
  for (int a = threadIdx.x >> 5; a < A; a += kWarps) {
    const int u = __ffs(attention_unit_members(p.mode, p.group_size, a)) - 1;
    write_unit_visible(p, b, g, a, u, &sm.tail);
  }
  __syncthreads();
}

// Level 0 done: the visible list of every attention unit of the group.
__device__ void build_visible(const SelectionParams& p, int b, int g, Smem& sm,
                              const UnionBuffers& global, unsigned long long* stamps) {
  const int G = p.group_size;
  const int A = attention_units_per_group(p.mode, G);
  const int attention_total = p.kv_heads * A;
  const SequenceStep& step = p.steps[b];
  const HierarchyView& h = p.hierarchy;
  const int32_t* gist0 = h.gist_position[0] + static_cast<int64_t>(b) * h.gist_capacity[0];
  const int32_t* chunk_begin = h.chunk_begin + static_cast<int64_t>(b) * h.gist_capacity[0];
  for (int a = 0; a < A; ++a) {
    const uint32_t members = attention_unit_members(p.mode, G, a);
    const int64_t unit = static_cast<int64_t>(b) * attention_total + g * A + a;
    int32_t* out = p.visible + unit * p.visible_capacity;
    int32_t written = 0;
    for (int level = p.num_levels - 1; level >= 0; --level) {
      // The sorted choices with their duplicates: one scan gives each
      // gist's place (a duplicate adds no keys), not a unique pass first.
      UnionBuffers buf;
      int32_t padded = 1;
      const int32_t n = block_sorted_choices(p, level, b, g, members, sm, global, &buf, &padded);
      if (a == 0 && level == p.num_levels - 1) record_phase(stamps, kSelUnion);
      const int32_t* positions =
          h.gist_position[level] + static_cast<int64_t>(b) * h.gist_capacity[level];
      auto repeated = [&](int32_t i) {
        return i > 0 && (buf.sort[i] >> 32) == (buf.sort[i - 1] >> 32);
      };
      for (int32_t i = threadIdx.x; i < n; i += blockDim.x) {
        const int32_t j = static_cast<int32_t>(buf.sort[i] >> 32);
        buf.scan[i] =
            repeated(i) ? 0 : chosen_span(level, j, step, chunk_begin, gist0, positions).length();
      }
      __syncthreads();
      const int32_t keys = block_exclusive_scan(buf.scan, n, sm.scan_scratch);
      for (int32_t i = threadIdx.x; i < n; i += blockDim.x) {
        if (repeated(i)) continue;
        const int32_t j = static_cast<int32_t>(buf.sort[i] >> 32);
        const Span span = chosen_span(level, j, step, chunk_begin, gist0, positions);
        int32_t at = written + buf.scan[i];
        for (int32_t pos = span.first; pos <= span.last; ++pos, ++at) {
          if (at < p.visible_capacity) out[at] = pos;
        }
      }
      written += keys;
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      if (written > p.visible_capacity) raise_error(p, kVisibleOverflow);
      p.visible_count[unit] = min32(written, p.visible_capacity);
    }
    __syncthreads();
  }
}

// --- the kernel -------------------------------------------------------------

// Whether this block is the last of group bg's at `level` (an atomic
// counter, reset by that block for the next launch); call after a fence and
// a barrier, all threads.
__device__ __forceinline__ bool last_block_of_group(const SelectionParams& p, int level, int bg,
                                                    Smem& sm) {
  uint32_t* counter = p.counters + level * p.batch * p.kv_heads + bg;
  const unsigned blocks = gridDim.x;
  if (threadIdx.x == 0) sm.flag = atomicAdd(counter, 1u) == blocks - 1;
  __syncthreads();
  if (!sm.flag) return false;
  __threadfence();
  if (threadIdx.x == 0) *counter = 0;
  return true;
}

// The group's tail once its units' choices are written: the next level's
// candidates, or at level 0 the visible lists.
__device__ __forceinline__ void descend(const SelectionParams& p, int level, int b, int g, Smem& sm,
                                        unsigned long long* stamps) {
  const int bg = b * p.kv_heads + g;
  const UnionBuffers global{p.sort_scratch + static_cast<int64_t>(bg) * 2 * p.sort_capacity,
                            p.scan_scratch + static_cast<int64_t>(bg) * p.sort_capacity,
                            p.sort_capacity};
  if (level > 0) {
    build_candidates(p, level, b, g, sm, global, stamps);
  } else if (one_chooser_per_attention_unit(p)) {
    build_visible_by_warps(p, b, g, sm, stamps);
  } else {
    build_visible(p, b, g, sm, global, stamps);
  }
  record_phase(stamps, kSelEnd);  // both end with a barrier
}

// Where a slice block of (level, group, sequence) finds its candidates.
struct SliceBlock {
  int s, g, b, bg, U;
  bool top;
  int32_t base, n_slice;
  const int32_t* list;  // the level's candidate list (null at the top: slot = gist)
};

// The slice's scores: every unit's (the group's sum in group mode) in
// shared memory, its slots in slot_index, its unit bits in sm.slice.units.
// Stamps kSelStart and kSelScored.
template <int D, int Version>
__device__ __forceinline__ SliceBlock score_slice(const SelectionParams& p, int level, Smem& sm,
                                                  int32_t* slot_index, unsigned long long* stamps) {
  SliceBlock sb;
  sb.s = blockIdx.x, sb.g = blockIdx.y, sb.b = blockIdx.z;
  const int G = p.group_size, H = p.kv_heads * G;
  sb.U = units_per_group(p.mode, G);
  sb.bg = sb.b * p.kv_heads + sb.g;
  const SequenceStep& step = p.steps[sb.b];
  sb.top = level == p.num_levels - 1;
  record_phase(stamps, kSelStart);
  const int32_t n_candidates = sb.top ? step.count[level] : p.candidate_count[level][sb.bg];
  sb.list = sb.top
                ? nullptr
                : p.candidates[level] + static_cast<int64_t>(sb.bg) * p.candidate_capacity[level];
  sb.base = sb.s * kSliceSize;
  sb.n_slice = max32(0, min32(kSliceSize, n_candidates - sb.base));
  const uint32_t all = sb.U >= 32 ? 0xFFFFFFFFu : (1u << sb.U) - 1u;
  for (int32_t i = threadIdx.x; i < kSliceSize; i += blockDim.x) {
    const bool present = i < sb.n_slice;
    slot_index[i] = present ? (sb.top ? sb.base + i : sb.list[sb.base + i]) : 0;
    sm.slice.units[i] = present
                            ? (sb.top ? all
                                      : p.candidate_units[level][static_cast<int64_t>(sb.bg) *
                                                                     p.candidate_capacity[level] +
                                                                 sb.base + i])
                            : 0;
  }
  __syncthreads();
  if (sb.n_slice > 0) {
    const uint16_t* q = p.q + (static_cast<int64_t>(sb.b) * H + sb.g * G) * D;
    const uint16_t* keys =
        p.gist_keys[level] + static_cast<int64_t>(sb.bg) * p.hierarchy.gist_capacity[level] * D;
    if (Version == 1) {
      score_slice_simple<D>(p, q, keys, slot_index, sb.n_slice, sm.slice);
    } else {
      score_slice_mma<D>(p, q, keys, slot_index, sb.n_slice, sm.slice);
    }
  }
  __syncthreads();
  if (p.mode == kGroupUnits) {
    for (int32_t i = threadIdx.x; i < sb.n_slice; i += blockDim.x) {
      float sum = 0;
      for (int r = 0; r < G; ++r) sum += sm.slice.scores[r][i];
      sm.slice.scores[kMaxGroupSize][i] = sum;
    }
    __syncthreads();
  }
  record_phase(stamps, kSelScored);
  return sb;
}

// The first shared-memory row of unit 0's scores (group mode: the sum).
__device__ __forceinline__ int score_row0(const SelectionParams& p) {
  return p.mode == kGroupUnits ? kMaxGroupSize : 0;
}

// The slice's scores of every unit into `out` ([B][units_total][candidate
// capacity] by slot), for the candidates open to the unit.
__device__ void store_scores(const SelectionParams& p, int level, const SliceBlock& sb,
                             const Smem& sm, float* out) {
  const int U = sb.U, units_total = p.kv_heads * U, row0 = score_row0(p);
  for (int32_t pair = threadIdx.x; pair < U * sb.n_slice; pair += blockDim.x) {
    const int u = pair / sb.n_slice;
    const int32_t i = pair - u * sb.n_slice;
    if ((sm.slice.units[i] >> u) & 1u) {
      out[(static_cast<int64_t>(sb.b) * units_total + sb.g * U + u) * p.candidate_capacity[level] +
          sb.base + i] = sm.slice.scores[row0 + u][i];
    }
  }
}

template <int D, int Version>
__global__ void __launch_bounds__(kThreads, 2) select_level_kernel(SelectionParams p, int level) {
  __shared__ Smem sm;
  __shared__ int32_t slot_index[kSliceSize];
  SSA_DYNAMIC_SMEM(merge_smem);
  const int warp = threadIdx.x >> 5;
  wait_for_previous_grid();  // the level above wrote this level's candidates
  unsigned long long* const stamps =
      p.phase_clock ? p.phase_clock + kPhasesPerLevel * level : nullptr;
  // Slice: scores of the group's heads, then every unit's top k.
  const SliceBlock sb = score_slice<D, Version>(p, level, sm, slot_index, stamps);
  const int s = sb.s, g = sb.g, b = sb.b, bg = sb.bg, U = sb.U;
  const bool top = sb.top;
  const int32_t base = sb.base, n_slice = sb.n_slice;
  const int32_t* list = sb.list;
  const SequenceStep& step = p.steps[b];
  if (p.scores[level]) store_scores(p, level, sb, sm, p.scores[level]);
  record_phase(stamps, kSelRecorded);
  const int32_t k_slice =
      p.top_p > 0 ? kSliceSize
                  : min32(kSliceSize,
                          capped_budget(step.k_request[level], p.quarter_cap, step.count[level]));
  if (k_slice > p.partial_capacity && threadIdx.x == 0) raise_error(p, kChosenOverflow);
  const int32_t keep = min32(k_slice, p.partial_capacity);
  const bool registers = p.register_top_k && keep <= kRegisterTopK;
  for (int u = warp; u < U; u += kWarps) {
    auto key_at = [&](int32_t i) -> uint64_t {
      return ((sm.slice.units[i] >> u) & 1u) ? candidate_key(sm.slice.scores[score_row0(p) + u][i],
                                                             static_cast<uint32_t>(base + i))
                                             : kNotCandidate;
    };
    const int64_t row = (static_cast<int64_t>(bg) * p.max_slices + s) * U + u;
    uint64_t* out = p.partial_keys + row * p.partial_capacity;
    TopThreshold top_k;
    int32_t n;
    if (registers) {
      uint64_t key[kSliceSize / 32];
#pragma unroll
      for (int j = 0; j < kSliceSize / 32; ++j) {
        const int32_t i = 32 * j + (threadIdx.x & 31);
        key[j] = i < n_slice ? key_at(i) : kNotCandidate;
      }
      top_k = p.pivot_top_k ? warp_top_threshold_pivot(key, keep, pivot_scratch(sm, warp))
                            : warp_top_threshold_registers(key, keep);
      n = warp_compact_registers(key, top_k.threshold,
                                 [&](int32_t, uint64_t k, int32_t rank) { out[rank] = k; });
    } else {
      top_k = warp_top_threshold(key_at, n_slice, keep, sm.hist[warp]);
      n = warp_compact(
          n_slice, [&](int32_t i) { return key_at(i) >= top_k.threshold; },
          [&](int32_t i, int32_t rank) { out[rank] = key_at(i); });
    }
    // The register merge reads whole rows: the rest of this one is no key.
    if (p.register_top_k)
      for (int32_t i = n + (threadIdx.x & 31); i < p.partial_capacity; i += 32)
        out[i] = kNotCandidate;
    if ((threadIdx.x & 31) == 0) {
      p.partial_count[row] = n;
      p.partial_valid[row] = top_k.valid;
    }
  }

  if (stamps) __syncthreads();  // every warp's top k is written
  record_phase(stamps, kSelSliceKeys);
  // The next launch may start its blocks now (they wait for this grid).
  allow_next_grid();
  // The last block of the group to finish merges.
  __threadfence();
  __syncthreads();
  record_phase(stamps, kSelSliceTop);
  if (!last_block_of_group(p, level, bg, sm)) return;
  record_phase(stamps, kSelTail);
  if (threadIdx.x == 0) sm.tail.staged_level = -1;  // nothing staged (yet)
  // `list`: slot -> gist index for the merge (the list, not only this slice's part).
  if (!choose_units_in_registers(p, level, b, g, list, top, gridDim.x, sm))
    choose_units(p, level, b, g, list, top, gridDim.x, sm, merge_smem);
  record_phase(stamps, kSelMerged);
  descend(p, level, b, g, sm, stamps);
}

// --- the two-pass selection -------------------------------------------------
// Pass 1 (score_level_kernel): the slice blocks score as above and store
// every unit's scores (choice_scores), nothing else. Pass 2
// (choose_level_kernel): one block per unit takes the unit's top k of the
// whole level at once (block_top_threshold), writes its chosen gists, and
// the group's last block runs the tail as above; at level 0, where
// one_chooser_per_attention_unit, each block writes its own unit's visible
// list instead (no tail). No slice top-k, no merge.

template <int D, int Version>
__global__ void __launch_bounds__(kThreads, 2) score_level_kernel(SelectionParams p, int level) {
  __shared__ Smem sm;
  __shared__ int32_t slot_index[kSliceSize];
  wait_for_previous_grid();  // the level above wrote this level's candidates
  unsigned long long* const stamps =
      p.phase_clock ? p.phase_clock + kPhasesPerLevel * level : nullptr;
  const SliceBlock sb = score_slice<D, Version>(p, level, sm, slot_index, stamps);
  store_scores(p, level, sb, sm, p.choice_scores[level]);
  if (stamps) __syncthreads();  // every thread's scores are stored
  record_phase(stamps, kSelRecorded);
  // No slice top-k: its points are the scores stored (bench kernels --phases).
  record_phase(stamps, kSelSliceKeys);
  allow_next_grid();  // the choose kernel may start (it waits for this grid)
  record_phase(stamps, kSelSliceTop);
}

constexpr int kChoosePerThread = kTwoPassMaxCandidates / kThreads;
static_assert(kThreads == kBlockTopThreads && kChoosePerThread == kBlockTopPerThread,
              "the choose kernel's block is the block top-k's");

__global__ void __launch_bounds__(kThreads, 2) choose_level_kernel(SelectionParams p, int level) {
  __shared__ Smem sm;
  const int u = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int U = units_per_group(p.mode, p.group_size), units_total = p.kv_heads * U;
  const int bg = b * p.kv_heads + g;
  const SequenceStep& step = p.steps[b];
  const bool top = level == p.num_levels - 1;
  wait_for_previous_grid();  // the scores kernel stored the scores
  unsigned long long* const stamps =
      p.phase_clock ? p.phase_clock + kPhasesPerLevel * level : nullptr;
  record_phase(stamps, kSelTail);
  const int32_t ccap = p.candidate_capacity[level];
  const int32_t n =
      min32(top ? step.count[level] : p.candidate_count[level][bg], kTwoPassMaxCandidates);
  const int32_t* list = top ? nullptr : p.candidates[level] + static_cast<int64_t>(bg) * ccap;
  const uint32_t* open = top ? nullptr : p.candidate_units[level] + static_cast<int64_t>(bg) * ccap;
  const float* scores =
      p.choice_scores[level] + (static_cast<int64_t>(b) * units_total + g * U + u) * ccap;
  // Thread t holds slots t, t + 256, ...: each load of a warp reads 128
  // contiguous bytes (the chosen come out in slot order by their ranks).
  SlotKeys<kChoosePerThread> key;
  key.first = static_cast<int32_t>(threadIdx.x);
  key.stride = kThreads;
  // Every load first, none under a condition (a load in a branch waits for
  // the one before: 32 round trips in a row where one will do). Slots past n
  // read one below the level's capacity, not n, so that the loads need not
  // wait for n, and are dropped below.
  const int32_t last = max32(min32(ccap, kTwoPassMaxCandidates) - 1, 0);
  float raw[kChoosePerThread];
  uint32_t opened[kChoosePerThread];
  if (top) {
#pragma unroll
    for (int j = 0; j < kChoosePerThread; ++j) {
      raw[j] = __ldcg(scores + min32(key.slot(j), last));
      opened[j] = ~0u;  // every unit may choose any gist of the top level
    }
  } else {
#pragma unroll
    for (int j = 0; j < kChoosePerThread; ++j) {
      raw[j] = __ldcg(scores + min32(key.slot(j), last));
      opened[j] = __ldcg(open + min32(key.slot(j), last));
    }
  }
  uint32_t valid = 0;
#pragma unroll
  for (int j = 0; j < kChoosePerThread; ++j) {
    // The score of a candidate closed to u is not used.
    const bool mine = key.slot(j) < n && ((opened[j] >> u) & 1u);
    key.score[j] = mine ? ordered_score_bits(raw[j]) : 0u;  // the key: candidate_key(score, slot)
    valid += mine ? 1u : 0u;
  }
  const int32_t offered = static_cast<int32_t>(block_sum(valid, sm.choose));
  const int32_t k = level_budget(step.k_request[level], p.quarter_cap, step.count[level], offered);
  const uint64_t threshold = block_top_threshold(key, k, offered, sm.choose);
  const int32_t cap = p.chosen_capacity[level];
  const int64_t unit = static_cast<int64_t>(b) * units_total + g * U + u;
  int32_t* chosen = p.chosen[level] + unit * cap;
  const int32_t kept =
      block_compact_by_slot(key, threshold, sm.choose, [&](int32_t slot, uint64_t, int32_t rank) {
        if (rank < cap) chosen[rank] = top ? slot : list[slot];
      });
  if (threadIdx.x == 0) {
    if (kept > cap) raise_error(p, kChosenOverflow);
    p.chosen_count[level][unit] = min32(kept, cap);
  }
  if (stamps) __syncthreads();  // every thread's chosen are written
  record_phase(stamps, kSelMerged);
  allow_next_grid();
  if (level == 0 && one_chooser_per_attention_unit(p)) {
    // The unit's last choice: it writes its own visible list (attention
    // unit u), with no group tail, so no fence and no counter.
    __syncthreads();  // the block's chosen are written (global memory)
    record_phase(stamps, kSelUnion);
    if (threadIdx.x < 32) write_unit_visible(p, b, g, u, u, nullptr);
    record_phase(stamps, kSelEnd);  // thread 0: after its warp's list
    return;
  }
  // The last block of the group builds the union from the chosen in memory.
  __threadfence();
  __syncthreads();
  if (!last_block_of_group(p, level, bg, sm)) return;
  if (threadIdx.x == 0) sm.tail.staged_level = -1;  // the chosen are in global memory only
  __syncthreads();
  descend(p, level, b, g, sm, stamps);
}

template <int D, int Version>
void launch_level(const SelectionParams& p, int level, cudaStream_t stream) {
  auto* kernel = select_level_kernel<D, Version>;
#if !defined(SSA_CUDA_EMULATION)
  // Once per kernel: allow the largest merge buffer (set before any capture).
  static const bool raised = [&] {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    kMaxMergeSharedBytes));
    return true;
  }();
  (void)raised;
#endif
  const dim3 grid(p.slices[level], p.kv_heads, p.batch);
  const bool overlap = p.overlap_launches && level < p.num_levels - 1;
  SSA_LAUNCH_OVERLAPPED(kernel, grid, dim3(kThreads), p.merge_shared_bytes, stream, overlap, p,
                        level);
  CUDA_CHECK(cudaGetLastError());
}

// The two-pass selection of one level: scores, then the units' choices.
template <int D, int Version>
void launch_two_pass_level(const SelectionParams& p, int level, cudaStream_t stream) {
  const int units = units_per_group(p.mode, p.group_size);
  auto* scores = score_level_kernel<D, Version>;
  const bool overlap = p.overlap_launches && level < p.num_levels - 1;
  SSA_LAUNCH_OVERLAPPED(scores, dim3(p.slices[level], p.kv_heads, p.batch), dim3(kThreads), 0,
                        stream, overlap, p, level);
  CUDA_CHECK(cudaGetLastError());
  auto* choose = choose_level_kernel;
  SSA_LAUNCH_OVERLAPPED(choose, dim3(units, p.kv_heads, p.batch), dim3(kThreads), 0, stream,
                        p.overlap_launches, p, level);
  CUDA_CHECK(cudaGetLastError());
}

template <int D>
void launch_levels(const SelectionParams& p, int version, cudaStream_t stream) {
  for (int level = p.num_levels - 1; level >= 0; --level) {
    const bool two_pass = two_pass_level(p, level);
    if (version == 1) {
      two_pass ? launch_two_pass_level<D, 1>(p, level, stream)
               : launch_level<D, 1>(p, level, stream);
    } else {
      two_pass ? launch_two_pass_level<D, 2>(p, level, stream)
               : launch_level<D, 2>(p, level, stream);
    }
  }
}

}  // namespace

void launch_gist_selection(const SelectionParams& p, int version, cudaStream_t stream) {
  if (p.group_size < 1 || p.group_size > kMaxGroupSize)
    throw std::invalid_argument("gist selection: 1..16 query heads per KV head, got " +
                                std::to_string(p.group_size));
  if (p.num_levels < 1 || p.num_levels > kMaxLevels)
    throw std::invalid_argument("gist selection: 1..6 levels");
  if (version < 1 || version > kSelectionVersions)
    throw std::invalid_argument("gist selection: version 1 or 2");
  if (p.merge_shared_bytes < 0 || p.merge_shared_bytes > kMaxMergeSharedBytes ||
      (p.merge_shared_bytes > 0 &&
       p.merge_shared_bytes < merge_shared_bytes(p.max_slices,
                                                 units_per_group(p.mode, p.group_size),
                                                 p.partial_capacity)))
    throw std::invalid_argument("gist selection: merge buffer outside the plan");
  for (int level = 0; level < p.num_levels; ++level) {
    if (p.slices[level] < 1 || p.slices[level] > p.max_slices)
      throw std::invalid_argument("gist selection: slices out of the planned range");
  }
  with_head_dim("gist selection", p.head_dim,
                [&](auto d) { launch_levels<decltype(d)::value>(p, version, stream); });
}

}  // namespace ssa::kernels
