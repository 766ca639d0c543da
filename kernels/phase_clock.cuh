// The kernels' side of phase_clock.h: thread 0 of a block stamps a slot
// with %globaltimer (steady_clock in the CPU emulator). Include from .cu
// files only (after cuda_emulation.h in the emulator).
#pragma once

#if defined(SSA_CUDA_EMULATION)
#include <chrono>
#else
#include <cuda_runtime.h>
#endif

#include <cstdint>

#include "kernels/phase_clock.h"

namespace ssa::kernels {

#if defined(SSA_CUDA_EMULATION)
inline uint64_t phase_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
inline void phase_first(unsigned long long* slot, uint64_t t) {
  if (t < *slot) *slot = t;
}
inline void phase_last(unsigned long long* slot, uint64_t t) {
  if (t > *slot) *slot = t;
}
#else
__device__ __forceinline__ uint64_t phase_now() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ __forceinline__ void phase_first(unsigned long long* slot, uint64_t t) {
  atomicMin(slot, static_cast<unsigned long long>(t));
}
__device__ __forceinline__ void phase_last(unsigned long long* slot, uint64_t t) {
  atomicMax(slot, static_cast<unsigned long long>(t));
}
#endif

// Thread 0 of the block records `slot` (no-op when the buffer is null).
__device__ __forceinline__ void record_phase(unsigned long long* clock, int32_t slot) {
  if (clock == nullptr || threadIdx.x != 0) return;
  const uint64_t t = phase_now();
  if (phase_is_first(slot)) {
    phase_first(clock + slot, t);
  } else {
    phase_last(clock + slot, t);
  }
}

}  // namespace ssa::kernels
