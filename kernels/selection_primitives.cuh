// Warp- and block-wide building blocks of the selection kernels: the top-k
// threshold (a byte-by-byte radix walk, reference_top_threshold in
// decode_types.h is the same walk on one thread; for small k over keys in
// registers, rounds of warp arg-max), order-keeping compaction,
// an exclusive scan and a bitonic sort. Every collective is called by all 32
// lanes of a warp (warp functions) or all threads of the block (block ones).
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/decode_types.h"

namespace ssa::kernels {

constexpr unsigned kFullWarp = 0xFFFFFFFFu;

__device__ __forceinline__ int lane_id() {
  return threadIdx.x & 31;
}

__device__ __forceinline__ uint32_t warp_sum(uint32_t v) {
  return __reduce_add_sync(kFullWarp, v);
}
__device__ __forceinline__ uint64_t warp_and64(uint64_t v) {
  const uint32_t lo = __reduce_and_sync(kFullWarp, static_cast<uint32_t>(v));
  const uint32_t hi = __reduce_and_sync(kFullWarp, static_cast<uint32_t>(v >> 32));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
__device__ __forceinline__ uint64_t warp_or64(uint64_t v) {
  const uint32_t lo = __reduce_or_sync(kFullWarp, static_cast<uint32_t>(v));
  const uint32_t hi = __reduce_or_sync(kFullWarp, static_cast<uint32_t>(v >> 32));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
__device__ __forceinline__ uint32_t warp_inclusive_scan(uint32_t v) {
  const int lane = lane_id();
#pragma unroll
  for (int d = 1; d < 32; d <<= 1) {
    const uint32_t up = __shfl_up_sync(kFullWarp, v, d);
    if (lane >= d) v += up;
  }
  return v;
}

struct TopThreshold {
  uint64_t threshold = kSelectNone;  // select the keys >= this
  int32_t valid = 0;                 // nonzero keys seen
};

// The warp's top-k: exactly min(k, valid) of key_at(0 .. n) (nonzero keys are
// candidates, all distinct) are >= the threshold. `hist`: 256 words of this
// warp's shared memory. key_at(i) must give the same key every call.
template <typename KeyAt>
__device__ TopThreshold warp_top_threshold(const KeyAt& key_at, int32_t n, int32_t k,
                                           uint32_t* hist) {
  const int lane = lane_id();
  uint32_t valid = 0;
  uint64_t all_and = ~0ull, any_or = 0;
  for (int32_t i = lane; i < n; i += 32) {
    const uint64_t key = key_at(i);
    if (key == kNotCandidate) continue;
    ++valid;
    all_and &= key;
    any_or |= key;
  }
  TopThreshold out;
  out.valid = static_cast<int32_t>(warp_sum(valid));
  all_and = warp_and64(all_and);
  any_or = warp_or64(any_or);
  if (k <= 0 || out.valid == 0) return out;
  if (k >= out.valid) {
    out.threshold = 1;
    return out;
  }
  // Bytes where every valid key agrees need no histogram (the first byte of
  // close scores usually does not tell them apart).
  const uint64_t differ = all_and ^ any_or;
  int shift = ((63 - __clzll(static_cast<long long>(differ))) / 8) * 8;
  uint64_t high_mask = shift == 56 ? 0 : ~0ull << (shift + 8);
  uint64_t prefix = all_and & high_mask;
  uint32_t remaining = static_cast<uint32_t>(k);
  for (; shift >= 0; shift -= 8) {
    for (int b = lane; b < 256; b += 32) hist[b] = 0;
    __syncwarp();
    for (int32_t i = lane; i < n; i += 32) {
      const uint64_t key = key_at(i);
      if (key != kNotCandidate && (key & high_mask) == prefix)
        atomicAdd(&hist[(key >> shift) & 0xFF], 1u);
    }
    __syncwarp();
    // Lane L holds bins 255 - 8L down to 248 - 8L: a scan over lanes counts
    // from the top bin down.
    uint32_t c[8], local = 0;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      c[j] = hist[255 - 8 * lane - j];
      local += c[j];
    }
    const uint32_t inclusive = warp_inclusive_scan(local);
    uint32_t bin = 0, above = 0, in_bin = 0;
    const bool mine = lane_bin(c, lane, inclusive - local, remaining, &bin, &above, &in_bin);
    const unsigned owner = __ffs(__ballot_sync(kFullWarp, mine)) - 1;
    bin = __shfl_sync(kFullWarp, bin, owner);
    above = __shfl_sync(kFullWarp, above, owner);
    in_bin = __shfl_sync(kFullWarp, in_bin, owner);
    remaining -= above;
    prefix |= static_cast<uint64_t>(bin) << shift;
    high_mask |= 0xFFull << shift;
    __syncwarp();  // every lane read the bins before the next round clears them
    if (in_bin == remaining) break;
  }
  out.threshold = prefix;
  return out;
}

// --- the register top-k ------------------------------------------------------

// out->valid = the warp's valid keys (`valid`: this lane's); true when that
// alone settles the threshold (k <= 0 or no keys: none; k >= valid: all).
__device__ inline bool settled_by_count(uint32_t valid, int32_t k, TopThreshold* out) {
  out->valid = static_cast<int32_t>(warp_sum(valid));
  if (k <= 0 || out->valid == 0) return true;
  if (k >= out->valid) {
    out->threshold = 1;
    return true;
  }
  return false;
}

// The same contract as warp_top_threshold, for keys the warp holds in
// registers: lane L holds key[j] of index L + 32 j (0: not a candidate; the
// nonzero keys are candidate_key's, distinct, their score half never 0).
// Rounds of warp arg-max over the score half (the upper 32 bits): a lane's
// largest remaining score, one __reduce_max_sync, then every lane drops its
// keys of that score; k rounds leave the top k when no two keys of the top
// share a score, the common case: no shared memory, no atomics, one redux
// per round on the critical path (the radix walk: 2-4 rounds of 256-bin
// shared-memory histograms, whose atomics conflict when scores are close).
// Ties of the score at the threshold settle by slot in counted rounds.
template <int PER>
__device__ TopThreshold warp_top_threshold_registers(const uint64_t (&key)[PER], int32_t k) {
  static_assert(PER <= 32, "one bit per register key");
  auto score = [&](int j) { return static_cast<uint32_t>(key[j] >> 32); };
  uint32_t valid = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j) valid += key[j] != kNotCandidate ? 1u : 0u;
  TopThreshold out;
  if (settled_by_count(valid, k, &out)) return out;
  // Fast rounds: each takes every key of the largest remaining score (bit j
  // of `taken`: key[j] is taken; a bit mask, not a copy of the scores, keeps
  // the registers down). A taken key's score is above every later round's.
  uint32_t last = 0, taken = 0;
  for (int32_t r = 0; r < k; ++r) {
    uint32_t mine = 0;
#pragma unroll
    for (int j = 0; j < PER; ++j) mine = (taken >> j) & 1u ? mine : max(mine, score(j));
    last = __reduce_max_sync(kFullWarp, mine);
#pragma unroll
    for (int j = 0; j < PER; ++j) taken |= last != 0 && score(j) == last ? 1u << j : 0u;
  }
  // Keys of a score above `last` were all taken: exactly k taken means the
  // keys >= (last, slot 0) are the top k (0: nothing left, ties took all).
  if (warp_sum(static_cast<uint32_t>(__popc(taken))) == static_cast<uint32_t>(k)) {
    out.threshold = static_cast<uint64_t>(last) << 32;
    return out;
  }
  // A tie: count the keys score by score to the one where k is reached,
  // then take that score's keys by slot (lower slot = larger low half).
  uint32_t above = 0;
  taken = 0;
  for (;;) {
    uint32_t mine = 0;
#pragma unroll
    for (int j = 0; j < PER; ++j) mine = (taken >> j) & 1u ? mine : max(mine, score(j));
    const uint32_t best = __reduce_max_sync(kFullWarp, mine);
    uint32_t hits = 0;
#pragma unroll
    for (int j = 0; j < PER; ++j) {
      const bool hit = best != 0 && score(j) == best;
      hits += hit ? 1u : 0u;
      taken |= hit ? 1u << j : 0u;
    }
    const uint32_t equal = warp_sum(hits);
    if (above + equal >= static_cast<uint32_t>(k)) {
      const uint32_t wanted = static_cast<uint32_t>(k) - above;
      if (wanted == equal) {
        out.threshold = static_cast<uint64_t>(best) << 32;
        return out;
      }
      // 64 bits: slot 0's low half is 0xFFFFFFFF, which a 32-bit "nothing
      // taken yet" sentinel would exclude (k + 1 keys kept).
      uint64_t low = uint64_t{1} << 32;  // above every low half: none taken yet
      for (uint32_t t = 0; t < wanted; ++t) {
        uint32_t top = 0;
#pragma unroll
        for (int j = 0; j < PER; ++j) {
          const uint32_t lo = static_cast<uint32_t>(key[j]);
          if (score(j) == best && static_cast<uint64_t>(lo) < low) top = max(top, lo);
        }
        low = __reduce_max_sync(kFullWarp, top);
      }
      out.threshold = (static_cast<uint64_t>(best) << 32) | low;
      return out;
    }
    above += equal;
  }
}

// The same contract and keys as warp_top_threshold_registers, in a fixed
// number of dependent steps instead of k arg-max rounds (each ~100-150 ns on
// an H200): the pivot P is the k-th largest of the 32 lanes' largest scores,
// so at least k keys score >= P (one per lane at or above it), and, for
// k <= kPivotTopK keys spread over 32 lanes, rarely more than 32 do. Those
// C keys are packed one per lane (`scratch`: 32 words of this warp's shared
// memory) and each ranked against the others (64-bit keys are distinct: the
// k-th largest is the threshold, ties settled by slot as everywhere). C == k
// needs no packing; P == 0 (fewer than k lanes hold keys) or C > 32 falls
// back to the rounds. Steps: 32 independent shuffles, 2 reductions, then
// (C > k) one ballot per register, a __syncwarp and 32 broadcast reads.
template <int PER>
__device__ TopThreshold warp_top_threshold_pivot(const uint64_t (&key)[PER], int32_t k,
                                                 uint64_t* scratch) {
  auto score = [&](int j) { return static_cast<uint32_t>(key[j] >> 32); };
  if (k > kPivotTopK) return warp_top_threshold_registers(key, k);
  const int lane = lane_id();
  uint32_t valid = 0, best = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j) {
    valid += key[j] != kNotCandidate ? 1u : 0u;
    best = max(best, score(j));
  }
  TopThreshold out;
  if (settled_by_count(valid, k, &out)) return out;
  // Lanes whose largest score is >= this lane's (a lane without keys: 0,
  // counted by every lane but never the pivot).
  uint32_t at_least = 0;
#pragma unroll
  for (int src = 0; src < 32; ++src)
    at_least += __shfl_sync(kFullWarp, best, src) >= best ? 1u : 0u;
  const uint32_t pivot =
      __reduce_max_sync(kFullWarp, at_least >= static_cast<uint32_t>(k) ? best : 0u);
  if (pivot == 0) return warp_top_threshold_registers(key, k);
  uint32_t above = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j) above += score(j) >= pivot ? 1u : 0u;
  const uint32_t count = warp_sum(above);
  if (count == static_cast<uint32_t>(k)) {  // the keys scoring >= pivot are the top k
    out.threshold = static_cast<uint64_t>(pivot) << 32;
    return out;
  }
  if (count > 32) return warp_top_threshold_registers(key, k);
  uint32_t packed = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j) {
    const bool in = score(j) >= pivot;
    const unsigned ballot = __ballot_sync(kFullWarp, in);
    if (in) scratch[packed + __popc(ballot & ((1u << lane) - 1u))] = key[j];
    packed += __popc(ballot);
  }
  __syncwarp();
  const uint64_t mine = static_cast<uint32_t>(lane) < count ? scratch[lane] : kNotCandidate;
  uint32_t rank = 0;  // keys >= mine among the packed ones (itself included)
#pragma unroll
  for (uint32_t i = 0; i < 32; ++i)  // 32 independent broadcast reads, not count dependent ones
    rank += i < count && scratch[i] >= mine ? 1u : 0u;
  out.threshold = warp_or64(mine != kNotCandidate && rank == static_cast<uint32_t>(k) ? mine : 0);
  __syncwarp();  // every lane read the scratch before the caller writes it again
  return out;
}

// --- the block top-k (the two-pass selection's choose kernel) ---------------

// Threads of the block top-k, and keys each holds in registers at most.
constexpr int kBlockTopThreads = 256;
constexpr int kBlockTopPerThread = 32;

// The block top-k's keys: thread t holds the candidates of slots first,
// first + stride, ... (PER of them) as their ordered score bits
// (ordered_score_bits, never 0; 0: not a candidate); each key is rebuilt
// from its slot (candidate_key's low half), so 32 keys take 32 registers,
// not 64. The choose kernel strides by the block (first t, stride 256), so
// that a warp's loads of one register are 128 contiguous bytes.
template <int PER>
struct SlotKeys {
  uint32_t score[PER];
  int32_t first;
  int32_t stride;
  __device__ __forceinline__ int32_t slot(int j) const { return first + j * stride; }
  __device__ __forceinline__ uint64_t at(int j) const {
    return score[j] == 0 ? kNotCandidate
                         : (static_cast<uint64_t>(score[j]) << 32) |
                               static_cast<uint64_t>(0xFFFFFFFFu - static_cast<uint32_t>(slot(j)));
  }
};

// Shared memory of block_top_threshold and block_compact_by_slot.
struct BlockTopScratch {
  uint64_t keys[kBlockTopThreads];              // the keys scoring >= the pivot
  alignas(16) uint32_t best[kBlockTopThreads];  // the threads' largest scores
  uint32_t contenders[kBlockTopThreads];        // those reaching the columns' pivot
  uint32_t hist[256];                           // the radix walk's bins
  int32_t warp_totals[kBlockTopThreads / 32];
  uint64_t result;     // the threshold
  uint32_t pivot;      // the pivot score
  uint32_t packed;     // keys packed so far
  uint32_t contended;  // contenders packed so far
  uint32_t kept;       // block_compact_by_slot's keys packed so far
  uint32_t bin, above, in_bin;
};

// Inclusive scan of v over the block's threads (thread order), all threads.
__device__ inline uint32_t block_inclusive_scan(uint32_t v, BlockTopScratch& s) {
  const int lane = lane_id(), warp = threadIdx.x >> 5;
  const uint32_t inclusive = warp_inclusive_scan(v);
  if (lane == 31) s.warp_totals[warp] = static_cast<int32_t>(inclusive);
  __syncthreads();
  uint32_t before = 0;
  for (int w = 0; w < warp; ++w) before += static_cast<uint32_t>(s.warp_totals[w]);
  __syncthreads();  // every thread read the totals before the next scan writes them
  return before + inclusive;
}

__device__ inline uint32_t block_sum(uint32_t v, BlockTopScratch& s) {
  const uint32_t total = warp_sum(v);
  if (lane_id() == 0) s.warp_totals[threadIdx.x >> 5] = static_cast<int32_t>(total);
  __syncthreads();
  uint32_t all = 0;
  for (int w = 0; w < kBlockTopThreads / 32; ++w) all += static_cast<uint32_t>(s.warp_totals[w]);
  __syncthreads();
  return all;
}

// The block's radix walk (warp_top_threshold's, one byte a round, with the
// block's keys in registers): exact for any k < valid.
template <int PER>
__device__ uint64_t block_radix_threshold(const SlotKeys<PER>& key, int32_t k, BlockTopScratch& s) {
  uint64_t prefix = 0, high_mask = 0;
  uint32_t remaining = static_cast<uint32_t>(k);
  const int t = threadIdx.x;
  for (int shift = 56; shift >= 0; shift -= 8) {
    s.hist[t] = 0;
    __syncthreads();
#pragma unroll
    for (int j = 0; j < PER; ++j) {
      if (key.at(j) != kNotCandidate && (key.at(j) & high_mask) == prefix)
        atomicAdd(&s.hist[(key.at(j) >> shift) & 0xFF], 1u);
    }
    __syncthreads();
    // Thread t holds bin 255 - t: the scan counts from the top bin down.
    const uint32_t c = s.hist[255 - t];
    const uint32_t inclusive = block_inclusive_scan(c, s);
    if (inclusive - c < remaining && inclusive >= remaining) {
      s.bin = static_cast<uint32_t>(255 - t);
      s.above = inclusive - c;
      s.in_bin = c;
    }
    __syncthreads();
    const uint32_t bin = s.bin, above = s.above, in_bin = s.in_bin;
    __syncthreads();  // every thread read them before the next round
    remaining -= above;
    prefix |= static_cast<uint64_t>(bin) << shift;
    high_mask |= 0xFFull << shift;
    if (in_bin == remaining) break;
  }
  return prefix;
}

// The block's top-k, the contract of warp_top_threshold: exactly min(k,
// valid) of the keys the block's kBlockTopThreads threads hold (distinct:
// one slot each) are >= the result; `valid` is the block's count of nonzero
// keys (uniform). The pivot P is the largest of the threads' largest scores
// that at least k threads' largest scores reach (ties kept; k <= 32: ranked
// among the contenders of the columns' pivot below, else each thread counts
// over all 256 in shared memory, four a load), so at least k keys score >=
// P, the top k among them; when C, the count of those, is k, (P, any slot)
// is the threshold; when C <= kBlockTopThreads they are packed to shared
// memory and each ranked among them by its whole key (ties of the score
// settle by slot): the one of rank k is. Else (C larger, or fewer than k
// threads, for k <= 32 fewer than k columns, hold keys) the block's radix
// walk. Dependent steps (k <= 32): a barrier, 8 loads and 32 shuffles, a
// barrier, the contenders' reads, a shared atomicMax, a barrier, a block
// sum, a barrier, C reads, a barrier.
template <int PER>
__device__ uint64_t block_top_threshold(const SlotKeys<PER>& key, int32_t k, int32_t valid,
                                        BlockTopScratch& s) {
  if (k <= 0 || valid == 0) return kSelectNone;
  if (k >= valid) return 1;
  const int t = threadIdx.x;
  uint32_t best = 0;  // 0: this thread holds no key
#pragma unroll
  for (int j = 0; j < PER; ++j) best = max(best, key.score[j]);
  s.best[t] = best;
  if (t == 0) s.pivot = 0, s.packed = 0, s.contended = 0;
  __syncthreads();
  if (k <= 32) {
    // The same pivot, found among few threads: column c (threads c, c + 32,
    // ...) has the largest of its threads' largest scores; C1, the k-th
    // largest of the 32 columns' (every warp finds it: no barrier), has at
    // least k threads' largest >= it, so the pivot is >= C1, and it is the
    // k-th largest of the contenders, the threads whose largest reaches C1
    // (typically k and a few: ranked among themselves, not among all 256).
    const int lane = lane_id();
    uint32_t column = 0;
#pragma unroll
    for (int w = 0; w < kBlockTopThreads / 32; ++w) column = max(column, s.best[lane + 32 * w]);
    uint32_t reach = 0;  // columns whose largest is >= this one's (itself included)
#pragma unroll
    for (int c = 0; c < 32; ++c) reach += __shfl_sync(kFullWarp, column, c) >= column ? 1u : 0u;
    const uint32_t c1 =
        __reduce_max_sync(kFullWarp, reach >= static_cast<uint32_t>(k) ? column : 0u);
    if (c1 == 0) return block_radix_threshold(key, k, s);  // < k columns hold keys (uniform)
    if (best >= c1) s.contenders[atomicAdd(&s.contended, 1u)] = best;
    __syncthreads();
    const uint32_t contenders = s.contended;
    if (static_cast<uint32_t>(t) < contenders) {
      const uint32_t x = s.contenders[t];
      uint32_t at_least = 0;
      for (uint32_t i = 0; i < contenders; ++i) at_least += s.contenders[i] >= x ? 1u : 0u;
      if (at_least >= static_cast<uint32_t>(k)) atomicMax(&s.pivot, x);
    }
  } else if (best != 0) {
    uint32_t at_least = 0;  // threads whose largest score is >= this one's (itself included)
    const uint4* all = reinterpret_cast<const uint4*>(s.best);
#pragma unroll 8
    for (int i = 0; i < kBlockTopThreads / 4; ++i) {
      const uint4 v = all[i];
      at_least += (v.x >= best ? 1u : 0u) + (v.y >= best ? 1u : 0u) + (v.z >= best ? 1u : 0u) +
                  (v.w >= best ? 1u : 0u);
    }
    if (at_least >= static_cast<uint32_t>(k)) atomicMax(&s.pivot, best);
  }
  __syncthreads();
  const uint32_t pivot = s.pivot;
  if (pivot == 0) return block_radix_threshold(key, k, s);  // < k threads hold keys
  uint32_t mine = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j) mine += key.score[j] >= pivot ? 1u : 0u;
  const uint32_t count = block_sum(mine, s);
  const uint64_t at_pivot = static_cast<uint64_t>(pivot) << 32;  // below every key scoring P
  if (count == static_cast<uint32_t>(k)) return at_pivot;
  if (count > kBlockTopThreads) return block_radix_threshold(key, k, s);
  if (mine > 0) {
    uint32_t at = atomicAdd(&s.packed, mine);
#pragma unroll
    for (int j = 0; j < PER; ++j)
      if (key.score[j] >= pivot) s.keys[at++] = key.at(j);
  }
  __syncthreads();
  if (static_cast<uint32_t>(t) < count) {
    const uint64_t x = s.keys[t];
    uint32_t rank = 0;  // packed keys >= x (itself included)
    for (uint32_t i = 0; i < count; ++i) rank += s.keys[i] >= x ? 1u : 0u;
    if (rank == static_cast<uint32_t>(k)) s.result = x;
  }
  __syncthreads();
  const uint64_t threshold = s.result;
  __syncthreads();  // every thread read it before the scratch is used again
  return threshold;
}

// The block's keys >= threshold (nonzero) in slot order, whatever the
// layout: emit(slot, key, rank) for each; returns the count (uniform). They
// are packed to shared memory and each ranked by slot among them, so at most
// kBlockTopThreads of them: callers keep k <= kBlockTopThreads
// (block_top_threshold leaves min(k, valid); the choose kernel's k is at
// most kRegisterTopK). Past that, keys would be dropped.
template <int PER, typename Emit>
__device__ int32_t block_compact_by_slot(const SlotKeys<PER>& key, uint64_t threshold,
                                         BlockTopScratch& s, const Emit& emit) {
  if (threadIdx.x == 0) s.kept = 0;
  __syncthreads();
  uint32_t mine = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j)
    mine += key.at(j) != kNotCandidate && key.at(j) >= threshold ? 1u : 0u;
  if (mine > 0) {
    uint32_t at = atomicAdd(&s.kept, mine);
#pragma unroll
    for (int j = 0; j < PER; ++j) {
      if (key.at(j) != kNotCandidate && key.at(j) >= threshold && at < kBlockTopThreads)
        s.keys[at++] = key.at(j);
    }
  }
  __syncthreads();
  const uint32_t kept = s.kept;
  const uint32_t packed = min(kept, static_cast<uint32_t>(kBlockTopThreads));
  if (static_cast<uint32_t>(threadIdx.x) < packed) {
    const uint64_t x = s.keys[threadIdx.x];
    // A lower slot has a larger low half (candidate_key).
    int32_t rank = 0;
    for (uint32_t i = 0; i < packed; ++i)
      rank += static_cast<uint32_t>(s.keys[i]) > static_cast<uint32_t>(x) ? 1 : 0;
    emit(static_cast<int32_t>(0xFFFFFFFFu - static_cast<uint32_t>(x)), x, rank);
  }
  __syncthreads();  // every thread read the keys before the scratch is used again
  return static_cast<int32_t>(kept);
}

// warp_compact over keys in registers (lane L, key[j]: index L + 32 j):
// emit(i, key, rank) for every key >= threshold, rank in index order.
template <int PER, typename Emit>
__device__ int32_t warp_compact_registers(const uint64_t (&key)[PER], uint64_t threshold,
                                          const Emit& emit) {
  const int lane = lane_id();
  int32_t kept = 0;
#pragma unroll
  for (int j = 0; j < PER; ++j) {
    const bool k = key[j] != kNotCandidate && key[j] >= threshold;
    const unsigned ballot = __ballot_sync(kFullWarp, k);
    if (k) emit(32 * j + lane, key[j], kept + __popc(ballot & ((1u << lane) - 1u)));
    kept += __popc(ballot);
  }
  return kept;
}

// Calls emit(i, rank) for every i < n with keep(i), rank = its position among
// the kept ones in index order; returns how many were kept (warp-uniform).
template <typename Keep, typename Emit>
__device__ int32_t warp_compact(int32_t n, const Keep& keep, const Emit& emit) {
  const int lane = lane_id();
  int32_t kept = 0;
  for (int32_t base = 0; base < n; base += 32) {
    const int32_t i = base + lane;
    const bool k = i < n && keep(i);
    const unsigned ballot = __ballot_sync(kFullWarp, k);
    if (k) emit(i, kept + __popc(ballot & ((1u << lane) - 1u)));
    kept += __popc(ballot);
  }
  return kept;
}

// In-place exclusive scan of data[0 .. n) (shared or global memory of this
// block), all threads; returns the total. `scratch`: 33 shared words.
__device__ inline int32_t block_exclusive_scan(int32_t* data, int32_t n, int32_t* scratch) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  const int32_t per = (n + blockDim.x - 1) / blockDim.x;
  const int32_t begin = min(n, tid * per), end = min(n, begin + per);
  int32_t local = 0;
  for (int32_t i = begin; i < end; ++i) local += data[i];
  const int32_t inclusive = static_cast<int32_t>(warp_inclusive_scan(static_cast<uint32_t>(local)));
  if (lane == 31) scratch[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    const int32_t w = lane < warps ? scratch[lane] : 0;
    const int32_t wi = static_cast<int32_t>(warp_inclusive_scan(static_cast<uint32_t>(w)));
    __syncwarp();
    if (lane < warps) scratch[lane] = wi - w;  // exclusive prefix of the warp totals
    if (lane == warps - 1) scratch[32] = wi;
  }
  __syncthreads();
  int32_t offset = scratch[warp] + inclusive - local;
  for (int32_t i = begin; i < end; ++i) {
    const int32_t v = data[i];
    data[i] = offset;
    offset += v;
  }
  const int32_t total = scratch[32];
  __syncthreads();  // scratch is free again, data is scanned
  return total;
}

// Ascending bitonic sort of a[0 .. n), n a power of two, all threads.
__device__ inline void block_bitonic_sort(uint64_t* a, int32_t n) {
  for (int32_t size = 2; size <= n; size <<= 1) {
    for (int32_t stride = size >> 1; stride > 0; stride >>= 1) {
      for (int32_t t = threadIdx.x; t < n / 2; t += blockDim.x) {
        int32_t lo, hi;
        bool ascending;
        bitonic_pair(t, size, stride, &lo, &hi, &ascending);
        const uint64_t x = a[lo], y = a[hi];
        if ((x > y) == ascending) {
          a[lo] = y;
          a[hi] = x;
        }
      }
      __syncthreads();
    }
  }
}

}  // namespace ssa::kernels
