// How the decode kernels are launched: nvcc's <<<>>> on the device, or, when
// the sources are compiled as plain C++ for the CPU emulator
// (tests/kernels/cuda_emulation.h, SSA_CUDA_EMULATION), one emulated block at
// a time. The kernel must be a plain name: take a template's address first.
// SSA_DYNAMIC_SMEM declares the block's dynamic shared memory.
#pragma once

#if defined(SSA_CUDA_EMULATION)
#define SSA_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ((void)(smem), (void)(stream), ::ssa_emu::launch((grid), (block), [=] { kernel(__VA_ARGS__); }))
#define SSA_DYNAMIC_SMEM(name) alignas(16) static unsigned char name[256 * 1024]
#else
#include <cuda_runtime.h>
#define SSA_LAUNCH(kernel, grid, block, smem, stream, ...) \
  kernel<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__)
#define SSA_DYNAMIC_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
#endif
