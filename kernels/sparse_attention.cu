// Split-KV decode attention over visible keys (flash-decoding).
//
// Computes softmax(q k^T / sqrt(D)) v for every query head over its unit's
// keys: the visible list of gist_selection.cu, or the training row, or all
// positions (kAllKeys: the dense baseline), each followed by the step's local
// ranges (key_position). CPU reference: attend() / full_attention() in
// engine/decode/selective_attention.cpp. Benchmark: `ssa-workbench bench kernels`.
// Built for sm_90a (-gencode=arch=compute_90a,code=sm_90a).
//
// Grid (splits, units per sequence, batch), 128 threads. A block reads keys
// split_range(...) of its unit once for all the unit's heads (GQA: a KV row
// is loaded once for the group's G heads) and leaves partial softmax
// statistics; the last block of the unit (an atomic counter) combines them.
//   version 1: positions and logits through shared memory, fp32 loops;
//   version 2: each warp takes 16-key tiles: q.k^T as two m16n8k16 bf16 mma
//              (heads are rows), online softmax in registers, p.v as D/8 mma
//              with the value rows transposed in registers (movmatrix), every
//              K/V row read by 16-byte loads straight into registers.
// Bytes: 2 * D * 2 per visible key and KV head (K and V), once.
#include "kernels/sparse_attention.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cuda_check.h"
#include "kernels/launch.h"
#include "kernels/mma_bf16.cuh"
#include "kernels/phase_clock.cuh"

namespace ssa::kernels {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kRows = 16;  // heads per unit, padded to the mma tile
constexpr int kSimpleTile = 32;
constexpr unsigned kFullWarpMask = 0xFFFFFFFFu;

struct Unit {
  int32_t h0 = 0, heads = 0, g = 0;  // first query head, heads, KV head
  int64_t index = 0;                 // b * units + unit
  const int32_t* list = nullptr;
  int32_t listed = 0, total = 0, begin = 0, end = 0;
};

__device__ Unit unit_of_block(const AttendParams& p) {
  const int b = blockIdx.z, u = blockIdx.y, G = p.group_size;
  const int A = attention_units_per_group(p.mode, G);
  const SequenceStep& step = p.steps[b];
  Unit unit;
  unit.g = u / A;
  unit.h0 = unit.g * G + (A > 1 ? u % A : 0);
  unit.heads = A > 1 ? 1 : G;
  unit.index = static_cast<int64_t>(b) * gridDim.y + u;
  if (p.source == kSelectedKeys) {
    unit.list = p.list + unit.index * p.list_capacity;
    unit.listed = p.list_count[unit.index];
  } else if (p.source == kTrainingRow) {
    unit.list = p.list + static_cast<int64_t>(b) * p.list_capacity;
    unit.listed = step.row_gist_count;
  }
  unit.total = source_key_count(p.source, step, unit.listed);
  split_range(unit.total, p.splits, blockIdx.x, kAttendTile, &unit.begin, &unit.end);
  return unit;
}

__device__ __forceinline__ int64_t kv_row(const AttendParams& p, const Unit& u, int32_t pos) {
  return ((static_cast<int64_t>(blockIdx.z) * p.kv_heads + u.g) * p.capacity + pos) * p.head_dim;
}

__device__ __forceinline__ float partial_weight(float m, float m_all) {
  return m == -INFINITY ? 0.f : expf(m - m_all);
}

// --- version 1 --------------------------------------------------------------

template <int D>
__device__ void attend_simple(const AttendParams& p, const Unit& u) {
  __shared__ float qs[kRows][D];
  __shared__ float o[kRows][D];
  __shared__ float logit[kRows][kSimpleTile];
  __shared__ int32_t pos[kSimpleTile];
  __shared__ float m[kRows], l[kRows], corr[kRows];
  const SequenceStep& step = p.steps[blockIdx.z];
  const int H = p.kv_heads * p.group_size;
  const uint16_t* q = p.q + (static_cast<int64_t>(blockIdx.z) * H + u.h0) * D;
  for (int i = threadIdx.x; i < kRows * D; i += blockDim.x) {
    const int r = i / D, d = i % D;
    qs[r][d] = r < u.heads ? bf16_to_float(q[r * D + d]) : 0.f;
    o[r][d] = 0;
  }
  if (threadIdx.x < kRows) m[threadIdx.x] = -INFINITY, l[threadIdx.x] = 0;
  __syncthreads();
  for (int32_t first = u.begin; first < u.end; first += kSimpleTile) {
    const int n = min32(kSimpleTile, u.end - first);
    if (static_cast<int>(threadIdx.x) < n)
      pos[threadIdx.x] = key_position(p.source, step, u.list, u.listed, first + threadIdx.x);
    __syncthreads();
    for (int pair = threadIdx.x; pair < u.heads * n; pair += blockDim.x) {
      const int r = pair / n, i = pair % n;
      const uint16_t* k = p.keys + kv_row(p, u, pos[i]);
      float acc = 0;
      for (int d = 0; d < D; ++d) acc = fmaf(qs[r][d], bf16_to_float(k[d]), acc);
      logit[r][i] = acc * p.scale;
    }
    __syncthreads();
    if (static_cast<int>(threadIdx.x) < u.heads) {
      const int r = threadIdx.x;
      float best = m[r];
      for (int i = 0; i < n; ++i) best = fmaxf(best, logit[r][i]);
      float sum = 0;
      for (int i = 0; i < n; ++i) sum += (logit[r][i] = expf(logit[r][i] - best));
      corr[r] = partial_weight(m[r], best);
      l[r] = l[r] * corr[r] + sum;
      m[r] = best;
    }
    __syncthreads();
    for (int pair = threadIdx.x; pair < u.heads * D; pair += blockDim.x) {
      const int r = pair / D, d = pair % D;
      float acc = o[r][d] * corr[r];
      for (int i = 0; i < n; ++i)
        acc = fmaf(logit[r][i], bf16_to_float(p.values[kv_row(p, u, pos[i]) + d]), acc);
      o[r][d] = acc;
    }
    __syncthreads();
  }
  const int64_t slot = u.index * p.splits + blockIdx.x;
  if (threadIdx.x < kRows) {
    p.partial_stats[(slot * kRows + threadIdx.x) * 2] = m[threadIdx.x];
    p.partial_stats[(slot * kRows + threadIdx.x) * 2 + 1] = l[threadIdx.x];
  }
  for (int i = threadIdx.x; i < kRows * D; i += blockDim.x) {
    const float sum = l[i / D];
    p.partial_values[slot * kRows * D + i] = half_bits(sum > 0 ? o[i / D][i % D] / sum : 0.f);
  }
}

// --- version 2 --------------------------------------------------------------

template <int D>
__device__ void attend_mma(const AttendParams& p, const Unit& u) {
  constexpr int J = D / 32;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const SequenceStep& step = p.steps[blockIdx.z];
  const int H = p.kv_heads * p.group_size;
  const uint16_t* q = p.q + (static_cast<int64_t>(blockIdx.z) * H + u.h0) * D;
  uint4 qa[J], qb[J];
#pragma unroll
  for (int j = 0; j < J; ++j) {
    // An absent head's row reads head 0 (load16 loads unconditionally).
    qa[j] = load16(q + (g < u.heads ? g : 0) * D + 32 * j + 8 * t, g < u.heads);
    qb[j] = load16(q + (g + 8 < u.heads ? g + 8 : 0) * D + 32 * j + 8 * t, g + 8 < u.heads);
  }
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0;
  float m_row[2] = {-INFINITY, -INFINITY}, l_row[2] = {0, 0};
  for (int32_t first = u.begin + kAttendTile * warp; first < u.end; first += kAttendTile * kWarps) {
    // Keys first + g (n8 tile 0) and first + 8 + g (tile 1) are this thread's rows.
    uint4 kr[2][J], vr[2][J];
#pragma unroll
    for (int nt = 0; nt < 2; ++nt) {
      const int32_t i = first + 8 * nt + g;
      const int32_t pos = i < u.end ? key_position(p.source, step, u.list, u.listed, i) : -1;
      const bool present = pos >= 0;
      const int64_t row = present ? kv_row(p, u, pos) : 0;
#pragma unroll
      for (int j = 0; j < J; ++j) {
        kr[nt][j] = load16(p.keys + row + 32 * j + 8 * t, present);
        vr[nt][j] = load16(p.values + row + 32 * j + 8 * t, present);
      }
    }
    float s[2][4];
#pragma unroll
    for (int nt = 0; nt < 2; ++nt) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0;
#pragma unroll
      for (int j = 0; j < J; ++j) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const uint32_t a[4] = {word(qa[j], 2 * half), word(qb[j], 2 * half),
                                 word(qa[j], 2 * half + 1), word(qb[j], 2 * half + 1)};
          const uint32_t b[2] = {word(kr[nt][j], 2 * half), word(kr[nt][j], 2 * half + 1)};
          mma_bf16_16x8x16(s[nt], a, b);
        }
      }
      // Columns 2t, 2t+1 of this n8 tile are keys first + 8nt + 2t + e.
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const bool present = first + 8 * nt + 2 * t + e < u.end;
        s[nt][e] = present ? s[nt][e] * p.scale : -INFINITY;
        s[nt][2 + e] = present ? s[nt][2 + e] * p.scale : -INFINITY;
      }
    }
    float corr[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {  // rows g (r = 0) and g + 8 (r = 1)
      float best = fmaxf(fmaxf(s[0][2 * r], s[0][2 * r + 1]), fmaxf(s[1][2 * r], s[1][2 * r + 1]));
      best = fmaxf(best, __shfl_xor_sync(kFullWarpMask, best, 1));
      best = fmaxf(best, __shfl_xor_sync(kFullWarpMask, best, 2));
      best = fmaxf(best, m_row[r]);  // finite: key `first` is always present
      corr[r] = partial_weight(m_row[r], best);
      m_row[r] = best;
      float sum = 0;
#pragma unroll
      for (int nt = 0; nt < 2; ++nt) {
#pragma unroll
        for (int e = 0; e < 2; ++e) sum += (s[nt][2 * r + e] = expf(s[nt][2 * r + e] - best));
      }
      l_row[r] = l_row[r] * corr[r] + sum;
    }
#pragma unroll
    for (int i = 0; i < D / 8; ++i) {
      o[i][0] *= corr[0], o[i][1] *= corr[0];
      o[i][2] *= corr[1], o[i][3] *= corr[1];
    }
    const uint32_t pa[4] = {pack_bf16(s[0][0], s[0][1]), pack_bf16(s[0][2], s[0][3]),
                            pack_bf16(s[1][0], s[1][1]), pack_bf16(s[1][2], s[1][3])};
#pragma unroll
    for (int j = 0; j < J; ++j) {
#pragma unroll
      for (int w = 0; w < 4; ++w) {
        const uint32_t b[2] = {transpose_8x8(word(vr[0][j], w)), transpose_8x8(word(vr[1][j], w))};
        mma_bf16_16x8x16(o[4 * j + w], pa, b);
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l_row[r] += __shfl_xor_sync(kFullWarpMask, l_row[r], 1);
    l_row[r] += __shfl_xor_sync(kFullWarpMask, l_row[r], 2);
  }
  // The block's four warps -> one partial (shared memory), then global.
  __shared__ float warp_stats[kWarps][kRows][2];
  __shared__ float warp_values[kWarps][kRows][D];
  if (t == 0) {
    warp_stats[warp][g][0] = m_row[0], warp_stats[warp][g][1] = l_row[0];
    warp_stats[warp][g + 8][0] = m_row[1], warp_stats[warp][g + 8][1] = l_row[1];
  }
#pragma unroll
  for (int j = 0; j < J; ++j) {
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      const int d = 32 * j + 8 * t + 2 * w;  // logical d-block 4j + w, columns 2t, 2t+1
      warp_values[warp][g][d] = o[4 * j + w][0], warp_values[warp][g][d + 1] = o[4 * j + w][1];
      warp_values[warp][g + 8][d] = o[4 * j + w][2];
      warp_values[warp][g + 8][d + 1] = o[4 * j + w][3];
    }
  }
  __syncthreads();
  // Per head row: the block's max logit, each warp's weight and the sum, once
  // (not again for every column), and only the unit's rows (the combine
  // reads no other): the same arithmetic in the same order as per column.
  __shared__ float row_best[kRows], row_sum[kRows], row_weight[kWarps][kRows];
  if (static_cast<int>(threadIdx.x) < u.heads) {
    const int r = threadIdx.x;
    float best = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) best = fmaxf(best, warp_stats[w][r][0]);
    float sum = 0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float weight = partial_weight(warp_stats[w][r][0], best);
      sum += weight * warp_stats[w][r][1];
      row_weight[w][r] = weight;
    }
    row_best[r] = best;
    row_sum[r] = sum;
  }
  __syncthreads();
  const int64_t slot = u.index * p.splits + blockIdx.x;
  for (int pair = threadIdx.x; pair < u.heads * D; pair += blockDim.x) {
    const int r = pair / D, d = pair % D;
    float acc = 0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) acc += row_weight[w][r] * warp_values[w][r][d];
    const float sum = row_sum[r];
    p.partial_values[(slot * kRows + r) * D + d] = half_bits(sum > 0 ? acc / sum : 0.f);
    if (d == 0) {
      p.partial_stats[(slot * kRows + r) * 2] = row_best[r];
      p.partial_stats[(slot * kRows + r) * 2 + 1] = sum;
    }
  }
}

// --- combine ----------------------------------------------------------------

// The unit's output from the splits' partials: weights per (split, head)
// once in shared memory, then every (head, d) sums its column. Each thread's
// first kBatch splits of values are loaded with the statistics (every split
// writes its unit's rows, 0 when empty, so no load waits for a weight): one
// round trip for both; the per-head max and sum are warp reductions.
template <int D>
__device__ void combine_partials(const AttendParams& p, const Unit& u) {
  constexpr int kBatch = 16;                         // value loads in flight per thread
  __shared__ float weight[kMaxAttendSplits][kRows];  // the max logit first, then the weight
  __shared__ float sums[kMaxAttendSplits][kRows];
  __shared__ float total[kRows];
  const int H = p.kv_heads * p.group_size;
  const int64_t first = u.index * p.splits;
  const int tasks = u.heads * (D / 8);  // (head, 8 consecutive columns)
  auto value_at = [&](int s, int task) {
    const int r = task / (D / 8), d0 = (task % (D / 8)) * 8;
    return __ldcg(
        reinterpret_cast<const uint4*>(p.partial_values + ((first + s) * kRows + r) * D + d0));
  };
  uint4 v[kBatch];  // the thread's first task's first splits, then each batch in turn
  // Loads outside branches (clamped to the unit's last split and task, then
  // dropped), so that they are all in flight at once.
  const bool prefetch = static_cast<int>(threadIdx.x) < tasks;
  const int own_task = min(static_cast<int>(threadIdx.x), tasks - 1);
#pragma unroll
  for (int j = 0; j < kBatch; ++j) {
    const uint4 loaded = value_at(min(j, p.splits - 1), own_task);
    v[j] = prefetch && j < p.splits ? loaded : make_uint4(0, 0, 0, 0);
  }
  // Every split's statistics at once.
  const int pairs = p.splits * u.heads;
  for (int i0 = 0; i0 < pairs; i0 += 8 * kThreads) {
    float m[8], l[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int i = i0 + j * kThreads + static_cast<int>(threadIdx.x);
      const int at = min(i, pairs - 1);  // an unconditional load, dropped past the end
      const int s = at / u.heads, r = at % u.heads;
      const float* stat = p.partial_stats + ((first + s) * kRows + r) * 2;
      const float m_loaded = __ldcg(stat), l_loaded = __ldcg(stat + 1);
      m[j] = i < pairs ? m_loaded : 0.f;
      l[j] = i < pairs ? l_loaded : 0.f;
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int i = i0 + j * kThreads + static_cast<int>(threadIdx.x);
      if (i < pairs) weight[i / u.heads][i % u.heads] = m[j], sums[i / u.heads][i % u.heads] = l[j];
    }
  }
  __syncthreads();
  // Per head (a warp each): the max over the splits, each split's weight
  // (its share of the softmax sum: outputs are normalized) and the total.
  {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int r = warp; r < u.heads; r += kWarps) {
      float m = -INFINITY;
      for (int s = lane; s < p.splits; s += 32) m = fmaxf(m, weight[s][r]);
#pragma unroll
      for (int d = 16; d > 0; d >>= 1) m = fmaxf(m, __shfl_xor_sync(kFullWarpMask, m, d));
      float sum = 0;
      for (int s = lane; s < p.splits; s += 32) {
        const float w = partial_weight(weight[s][r], m);
        weight[s][r] = w == 0.f ? 0.f : w * sums[s][r];
        sum += weight[s][r];
      }
#pragma unroll
      for (int d = 16; d > 0; d >>= 1) sum += __shfl_xor_sync(kFullWarpMask, sum, d);
      if (lane == 0) total[r] = sum;
    }
  }
  __syncthreads();
  // Each thread sums 8 consecutive columns of one head over the splits:
  // 16-byte loads, kBatch splits in flight at a time.
  for (int task = threadIdx.x; task < tasks; task += blockDim.x) {
    const int r = task / (D / 8), d0 = (task % (D / 8)) * 8;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int s0 = 0; s0 < p.splits; s0 += kBatch) {
      if (s0 > 0 || task != static_cast<int>(threadIdx.x)) {
#pragma unroll
        for (int j = 0; j < kBatch; ++j) {
          const int s = s0 + j;
          const uint4 loaded = value_at(min(s, p.splits - 1), task);
          v[j] = s < p.splits ? loaded : make_uint4(0, 0, 0, 0);
        }
      }
#pragma unroll
      for (int j = 0; j < kBatch; ++j) {
        const int s = s0 + j;
        const float w = s < p.splits ? weight[s][r] : 0.f;
        if (w == 0.f) continue;  // an empty split, or one the softmax zeroes
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          const uint32_t bits = word(v[j], e / 2);
          acc[e] += w * half_to_float(static_cast<uint16_t>(e % 2 ? bits >> 16 : bits & 0xFFFFu));
        }
      }
    }
    const int64_t at = (static_cast<int64_t>(blockIdx.z) * H + u.h0 + r) * D + d0;
    float o[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) o[e] = total[r] > 0 ? acc[e] / total[r] : NAN;
    if (p.out_bf16 != nullptr) {  // the o projection's dtype: no cast kernel after this one
      *reinterpret_cast<uint4*>(p.out_bf16 + at) =
          make_uint4(pack_bf16(o[0], o[1]), pack_bf16(o[2], o[3]), pack_bf16(o[4], o[5]),
                     pack_bf16(o[6], o[7]));
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) p.out[at + e] = o[e];
    }
    if (total[r] <= 0 && p.errors) atomicOr(p.errors, kNoVisibleKey);
  }
}

template <int D, int Version>
__global__ void __launch_bounds__(kThreads) sparse_attention_kernel(AttendParams p) {
  __shared__ int32_t last;
  wait_for_previous_grid();  // the selection wrote the visible lists
  record_phase(p.phase_clock, kAttStart);
  const Unit u = unit_of_block(p);
  if (Version == 1) {
    attend_simple<D>(p, u);
  } else {
    attend_mma<D>(p, u);
  }
  if (p.phase_clock) __syncthreads();  // every thread's partial is stored
  record_phase(p.phase_clock, kAttComputed);
  __threadfence();
  __syncthreads();
  record_phase(p.phase_clock, kAttSplitsDone);
  if (threadIdx.x == 0) last = atomicAdd(p.counters + u.index, 1u) == gridDim.x - 1;
  __syncthreads();
  if (!last) return;
  __threadfence();
  record_phase(p.phase_clock, kAttCombine);
  if (threadIdx.x == 0) p.counters[u.index] = 0;
  combine_partials<D>(p, u);
  if (p.phase_clock) __syncthreads();  // every thread's output is written
  record_phase(p.phase_clock, kAttEnd);
}

template <int D>
void launch(const AttendParams& p, int version, cudaStream_t stream) {
  const int units = p.kv_heads * attention_units_per_group(p.mode, p.group_size);
  const dim3 grid(p.splits, units, p.batch);
  auto* kernel = version == 1 ? sparse_attention_kernel<D, 1> : sparse_attention_kernel<D, 2>;
  SSA_LAUNCH_OVERLAPPED(kernel, grid, dim3(kThreads), 0, stream, p.overlap_launch, p);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void launch_sparse_attention(const AttendParams& p, int version, cudaStream_t stream) {
  if (p.group_size < 1 || p.group_size > kMaxGroupSize)
    throw std::invalid_argument("sparse attention: 1..16 query heads per KV head");
  if (version < 1 || version > kAttendVersions)
    throw std::invalid_argument("sparse attention: version 1 or 2");
  if (p.splits < 1 || p.splits > kMaxAttendSplits)
    throw std::invalid_argument("sparse attention: 1.." + std::to_string(kMaxAttendSplits) +
                                " splits");
  with_head_dim("sparse attention", p.head_dim,
                [&](auto d) { launch<decltype(d)::value>(p, version, stream); });
}

}  // namespace ssa::kernels
