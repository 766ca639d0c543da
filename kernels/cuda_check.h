// Every CUDA call goes through CUDA_CHECK: a failure throws with file and line.
#pragma once

#if !defined(SSA_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif

#include <stdexcept>
#include <string>

#define CUDA_CHECK(call)                                                                       \
  do {                                                                                         \
    const cudaError_t cuda_check_status = (call);                                              \
    if (cuda_check_status != cudaSuccess) {                                                    \
      throw std::runtime_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                               #call + ": " + cudaGetErrorString(cuda_check_status));          \
    }                                                                                          \
  } while (0)
