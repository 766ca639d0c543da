// The tensor-core pieces the decode kernels share: bf16 mma m16n8k16 with
// fp32 accumulators, the 8x8 in-register transpose, and bf16 <-> fp32.
//
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k16"), with
// g = lane / 4 and t = lane % 4:
//   A 16x16 row-major: a0 (row g, k 2t..2t+1), a1 (row g+8, same k),
//                      a2 (row g, k 2t+8..2t+9), a3 (row g+8, k 2t+8..2t+9)
//   B 16x8 column:     b0 (k 2t..2t+1, col g), b1 (k 2t+8..2t+9, col g)
//   C 16x8:            c0,c1 (row g, cols 2t, 2t+1), c2,c3 (row g+8, same cols)
// A dot product does not care about the order of its terms, so the kernels
// let thread t of a row hold the physical elements [32j + 8t, 32j + 8t + 8)
// of a 128-element (or 64) row, loaded in one 16-byte access: for k-step
// s = 2j its words 0 and 1 stand for logical k 2t..2t+1 and 2t+8..2t+9, for
// s = 2j + 1 its words 2 and 3. Queries and keys use the same map, so every
// physical element meets its partner exactly once (checked on the CPU by
// tests/kernels/device_plan_test.cpp, FragmentMap).
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#endif

#include <cstdint>

namespace ssa::kernels {

#if defined(SSA_CUDA_EMULATION)
// The CPU emulator's versions follow the layouts above (cuda_emulation.h).
__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4],
                                                 const uint32_t (&b)[2]) {
  ::ssa_emu::mma_bf16_16x8x16(d, a, b);
}
__device__ __forceinline__ uint32_t transpose_8x8(uint32_t x) {
  return ::ssa_emu::movmatrix_trans(x);
}
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  return ::ssa_emu::pack_bf16_rn(lo, hi);
}
__device__ __forceinline__ uint16_t half_bits(float f) {
  return ::ssa_emu::float_to_half_rn(f);
}
__device__ __forceinline__ float half_to_float(uint16_t bits) {
  return ::ssa_emu::half_to_float(bits);
}
#else
__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4],
                                                 const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, "
      "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Transposes the warp's 8x8 b16 matrix: in, lane holds (row g, cols 2t, 2t+1);
// out, lane holds (row g, cols 2t, 2t+1) of the transpose.
__device__ __forceinline__ uint32_t transpose_8x8(uint32_t x) {
  uint32_t y;
  asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;\n" : "=r"(y) : "r"(x));
  return y;
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}
// fp16 (11 significant bits) for the attention's normalized partial outputs.
__device__ __forceinline__ uint16_t half_bits(float f) {
  return __half_as_ushort(__float2half_rn(f));
}
__device__ __forceinline__ float half_to_float(uint16_t bits) {
  return __half2float(__ushort_as_half(bits));
}
#endif

__device__ __forceinline__ float bf16_to_float(uint16_t bits) {
  return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}
// 16 bytes from global memory, or zeros when the row is absent. p must be
// readable either way (callers point an absent row at row 0): the load is
// unconditional, so that it never sits in a branch, where it would wait for
// the loads before it.
__device__ __forceinline__ uint4 load16(const uint16_t* p, bool present) {
  const uint4 v = __ldg(reinterpret_cast<const uint4*>(p));
  return present ? v : make_uint4(0, 0, 0, 0);
}
__device__ __forceinline__ uint32_t word(const uint4& v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

}  // namespace ssa::kernels
