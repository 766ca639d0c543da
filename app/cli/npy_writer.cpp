#include "app/cli/npy_writer.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "app/cli/atomic_output.h"

namespace ssa::cli {

void write_npy(const std::string& path, const std::string& dtype, const std::vector<int64_t>& shape,
               const void* data, size_t element_size) {
  std::string dims;
  int64_t count = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ",";
    count *= d;
  }
  if (shape.size() > 1) dims.pop_back();  // (n,) for 1-D, (a,b) otherwise
  std::string header =
      "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + header length (2) + header must be a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');

  AtomicOutput file(path, "--out");  // whole or not at all
  std::ofstream& out = file.stream();
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t header_length = static_cast<uint16_t>(header.size());
  const char length_bytes[2] = {static_cast<char>(header_length & 0xff),
                                static_cast<char>(header_length >> 8)};
  out.write(length_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(count * element_size));
  file.commit();
}

}  // namespace ssa::cli
