// The CUDA types the kernels' host-side headers name, for code that calls
// the CPU-emulated kernels (cuda_emulation.h) without the CUDA runtime.
#pragma once

#define SSA_CUDA_EMULATION 1

#include <cstddef>
#include <cstdint>
#include <cstring>

// Names of their own, so that they never meet CUDA's in one program.
#define dim3 ssa_emu_dim3
#define uint4 ssa_emu_uint4
#define float2 ssa_emu_float2
#define make_uint4 ssa_emu_make_uint4
#define make_float2 ssa_emu_make_float2

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint4 {
  unsigned x, y, z, w;
};
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) {
  return {x, y, z, w};
}
struct float2 {
  float x, y;
};
inline float2 make_float2(float x, float y) {
  return {x, y};
}

using cudaError_t = int;
using cudaStream_t = void*;
constexpr cudaError_t cudaSuccess = 0;
inline cudaError_t cudaGetLastError() {
  return cudaSuccess;
}
inline const char* cudaGetErrorString(cudaError_t) {
  return "emulated";
}
enum cudaMemcpyKind {
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
};
// "Device" memory is host memory: copies are copies, everything is in order.
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind,
                                   cudaStream_t) {
  std::memcpy(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() {
  return cudaSuccess;
}

namespace ssa_emu {
uint16_t float_to_half_rn(float f);  // IEEE binary16, round to nearest even
float half_to_float(uint16_t bits);
}  // namespace ssa_emu
