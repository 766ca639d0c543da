// engine/decode/device_step_ops.cpp over the CPU-emulated kernels (CPU
// tensors as device memory).
#include "tests/kernels/cuda_emulation_types.h"

// The emulation's types above must come first.
#ifndef SSA_WITH_CUDA
#define SSA_WITH_CUDA 1
#endif
#include "engine/decode/device_step_ops.cpp"
