// engine/decode/device_attention.cpp over the CPU-emulated kernels: device
// memory is host memory (CPU tensors), copies are memcpy.
#include "tests/kernels/cuda_emulation_types.h"

// The emulation's types above must come first.
#ifndef SSA_WITH_CUDA
#define SSA_WITH_CUDA 1
#endif
#include "engine/decode/device_attention.cpp"
