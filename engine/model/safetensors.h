// safetensors: the Hugging Face tensor file format, read and written here
// without Python. Layout: an 8-byte little-endian header length N, N bytes of
// JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {...}}), then the raw little-endian tensor bytes.
//
// Every structural fault (short file, bad JSON, unknown dtype, offsets that do
// not match the shape) is a std::runtime_error "<path>: <what>", never a crash.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace ssa {

using TensorMap = std::map<std::string, at::Tensor>;

// Loads every tensor onto the CPU, in its stored dtype (F32, F16, BF16, F64,
// I64, I32, I16, I8, U8, BOOL). `metadata` receives "__metadata__" if given.
TensorMap load_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);

// Writes the tensors (any device; copied to CPU, made contiguous) sorted by
// name, as transformers does.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// "F32", "BF16", ... for a torch dtype; throws for dtypes the format lacks.
std::string safetensors_dtype_name(at::ScalarType type);

}  // namespace ssa
