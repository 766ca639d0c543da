// Runs the project's CUDA kernels on the CPU, so that the kernels themselves
// (not a transcription) are checked against the CPU reference where there is
// no GPU. Include this before a kernel's .cu file.
//
// Every thread of a block is a fiber on one OS thread; blocks run one after
// another. __syncthreads and __syncwarp are barriers (a thread that returned
// counts as arrived, as on Volta and later); warp collectives (shuffles,
// ballots, reductions, mma.m16n8k16, movmatrix) are exchanges through the
// warp's slots between two warp barriers, so a collective that not all 32
// lanes reach is reported as a deadlock. mma and movmatrix compute what the
// PTX ISA's fragment layouts say (mma_bf16.cuh): the emulator checks the
// kernels' use of those layouts, not the layouts themselves. Shared memory
// is `static` (one block runs at a time); atomics are plain (no thread runs
// between two barriers but the current one).
#pragma once

#include "tests/kernels/cuda_emulation_types.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

namespace ssa_emu {

const dim3& thread_idx();
const dim3& block_idx();
const dim3& block_dim();
const dim3& grid_dim();
void sync_block();
void sync_warp();
int lane();
// Deposits `bytes` of this lane, waits for the warp, and gives the slot of
// every lane to `read` (lane -> bytes), then waits again.
void warp_exchange(const void* mine, size_t bytes,
                   const std::function<void(const unsigned char* const*)>& read);

// Runs body once per thread of every block of the grid.
void launch(dim3 grid, dim3 block, const std::function<void()>& body);

void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
uint32_t movmatrix_trans(uint32_t x);
uint32_t pack_bf16_rn(float lo, float hi);

template <typename T>
T shuffle(T v, int src) {
  T out{};
  warp_exchange(&v, sizeof v, [&](const unsigned char* const* slots) {
    std::memcpy(&out, slots[src & 31], sizeof out);
  });
  return out;
}
template <typename T, typename Op>
T reduce(T v, Op op) {
  T out{};
  warp_exchange(&v, sizeof v, [&](const unsigned char* const* slots) {
    std::memcpy(&out, slots[0], sizeof out);
    for (int l = 1; l < 32; ++l) {
      T x;
      std::memcpy(&x, slots[l], sizeof x);
      out = op(out, x);
    }
  });
  return out;
}

}  // namespace ssa_emu

#define threadIdx (::ssa_emu::thread_idx())
#define blockIdx (::ssa_emu::block_idx())
#define blockDim (::ssa_emu::block_dim())
#define gridDim (::ssa_emu::grid_dim())

inline void __syncthreads() {
  ssa_emu::sync_block();
}
inline void __syncwarp(unsigned = 0xFFFFFFFFu) {
  ssa_emu::sync_warp();
}
inline void __threadfence() {}

template <typename T>
T __shfl_sync(unsigned, T v, int src) {
  return ssa_emu::shuffle(v, src);
}
template <typename T>
T __shfl_xor_sync(unsigned, T v, int mask) {
  return ssa_emu::shuffle(v, ssa_emu::lane() ^ mask);
}
template <typename T>
T __shfl_up_sync(unsigned, T v, unsigned delta) {
  const int src = ssa_emu::lane() - static_cast<int>(delta);
  const T got = ssa_emu::shuffle(v, src < 0 ? ssa_emu::lane() : src);
  return got;
}
inline unsigned __ballot_sync(unsigned, int predicate) {
  unsigned bits = 0;
  const int mine = predicate ? 1 : 0;
  ssa_emu::warp_exchange(&mine, sizeof mine, [&](const unsigned char* const* slots) {
    for (int l = 0; l < 32; ++l) {
      int p;
      std::memcpy(&p, slots[l], sizeof p);
      if (p) bits |= 1u << l;
    }
  });
  return bits;
}
inline unsigned __reduce_add_sync(unsigned, unsigned v) {
  return ssa_emu::reduce(v, [](unsigned a, unsigned b) { return a + b; });
}
inline unsigned __reduce_max_sync(unsigned, unsigned v) {
  return ssa_emu::reduce(v, [](unsigned a, unsigned b) { return a > b ? a : b; });
}
inline unsigned __reduce_and_sync(unsigned, unsigned v) {
  return ssa_emu::reduce(v, [](unsigned a, unsigned b) { return a & b; });
}
inline unsigned __reduce_or_sync(unsigned, unsigned v) {
  return ssa_emu::reduce(v, [](unsigned a, unsigned b) { return a | b; });
}
inline int __popc(unsigned v) {
  return __builtin_popcount(v);
}
inline int __ffs(int v) {
  return __builtin_ffs(v);
}
inline int __clzll(long long v) {
  return v == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(v));
}
inline unsigned atomicAdd(unsigned* p, unsigned v) {
  const unsigned old = *p;
  *p += v;
  return old;
}
inline unsigned atomicMax(unsigned* p, unsigned v) {
  const unsigned old = *p;
  if (v > old) *p = v;
  return old;
}
inline int atomicOr(int* p, int v) {
  const int old = *p;
  *p |= v;
  return old;
}
template <typename T>
T __ldg(const T* p) {
  return *p;
}
template <typename T>
T __ldcg(const T* p) {
  return *p;
}
inline float __uint_as_float(unsigned u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline unsigned __float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
template <typename T>
T min(T a, T b) {
  return a < b ? a : b;
}
template <typename T>
T max(T a, T b) {
  return a > b ? a : b;
}
