// Writes NumPy .npy files (format version 1.0), so anyone can load our arrays
// with numpy.load. Only what the CLI writes: C-order arrays of plain numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::cli {

// dtype: a NumPy type string such as "|b1", "|i1", "|u1", "<i4", "<i8".
// Written whole or not at all (atomic_output.h); throws InputError naming
// the path if the file cannot be written.
void write_npy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
               const void* data, size_t element_size);

template <typename T>
void write_npy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
               const std::vector<T>& values) {
  write_npy(path, dtype, shape, values.data(), sizeof(T));
}

}  // namespace ssa::cli
