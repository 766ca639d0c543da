// kernels/small_batch_linear.cu compiled for the CPU emulator (cuda_emulation.h).
#include "tests/kernels/cuda_emulation.h"

// The emulation above must come first.
#include "kernels/small_batch_linear.cu"
