// How the decode kernels are launched: nvcc's <<<>>> on the device, or, when
// the sources are compiled as plain C++ for the CPU emulator
// (tests/kernels/cuda_emulation.h, SSA_CUDA_EMULATION), one emulated block at
// a time. The kernel must be a plain name: take a template's address first.
//
// SSA_LAUNCH_OVERLAPPED: with `overlap`, a programmatic dependent launch
// (Hopper): the kernel may start while the previous one in the stream
// finishes; it must call wait_for_previous_grid() before reading what that
// kernel writes, and the previous kernel lets it start early with
// allow_next_grid(). Both are no-ops for a plain launch.
// SSA_DYNAMIC_SMEM declares the block's dynamic shared memory.
#pragma once

#if defined(SSA_CUDA_EMULATION)
#define SSA_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ((void)(smem), (void)(stream), ::ssa_emu::launch((grid), (block), [=] { kernel(__VA_ARGS__); }))
#define SSA_LAUNCH_OVERLAPPED(kernel, grid, block, smem, stream, overlap, ...) \
  ((void)(overlap), SSA_LAUNCH(kernel, grid, block, smem, stream, __VA_ARGS__))
#define SSA_DYNAMIC_SMEM(name) alignas(16) static unsigned char name[256 * 1024]
namespace ssa::kernels {
inline void wait_for_previous_grid() {}
inline void allow_next_grid() {}
}  // namespace ssa::kernels
#else
#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda_check.h"
#define SSA_LAUNCH(kernel, grid, block, smem, stream, ...) \
  kernel<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__)
#define SSA_DYNAMIC_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
namespace ssa::kernels {

template <typename... Params, typename... Args>
void launch_overlapped(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                       cudaStream_t stream, bool overlap, Args&&... args) {
  if (!overlap) {
    kernel<<<grid, block, smem, stream>>>(std::forward<Args>(args)...);
    return;
  }
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute[0].val.programmaticStreamSerializationAllowed = 1;
  config.attrs = attribute;
  config.numAttrs = 1;
  CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

__device__ __forceinline__ void wait_for_previous_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_next_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

}  // namespace ssa::kernels
#define SSA_LAUNCH_OVERLAPPED(kernel, grid, block, smem, stream, overlap, ...)            \
  ::ssa::kernels::launch_overlapped(kernel, (grid), (block), (smem), (stream), (overlap), \
                                    __VA_ARGS__)
#endif

#include <stdexcept>
#include <string>
#include <type_traits>

namespace ssa::kernels {
// The kernels are compiled for head dimensions 64 and 128: `launch` is called
// with std::integral_constant<int, D> for the one asked, else one error line
// naming `what`.
template <typename Launch>
void with_head_dim(const char* what, int head_dim, Launch&& launch) {
  if (head_dim == 128) {
    launch(std::integral_constant<int, 128>{});
  } else if (head_dim == 64) {
    launch(std::integral_constant<int, 64>{});
  } else {
    throw std::invalid_argument(std::string(what) + ": head_dim 64 or 128, got " +
                                std::to_string(head_dim));
  }
}
}  // namespace ssa::kernels
