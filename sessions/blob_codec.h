// Blob codec: typed little-endian arrays <-> SQLite blobs.
//
// Recordings store large numeric arrays as compact blobs whose element type
// and count sit in columns beside them (schema.sql). Decoding is the reader's
// first contact with untrusted bytes: it must reject every size or type
// mismatch with BlobError and never read outside the blob.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssa::sessions {

// Element types, as stored in the *_dtype columns. Values are part of the format.
enum class Dtype : int {
  kFloat16 = 1,
  kFloat32 = 2,
  kUint8 = 3,
  kInt8 = 4,
  kInt32 = 5,
  kInt64 = 6,
};

struct BlobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bytes per element; 0 for a value that is no Dtype.
size_t dtype_size(int dtype);
const char* dtype_name(int dtype);

// IEEE 754 binary16 <-> binary32, round to nearest even; NaN stays NaN, overflow
// becomes infinity. Portable bit manipulation (no _Float16 needed).
uint16_t float_to_half(float value);
float half_to_float(uint16_t half);

// Encoders: append nothing, return the blob bytes.
std::string encode_floats(const float* values, size_t count, Dtype dtype);  // kFloat16/kFloat32
std::string encode_int32(const std::vector<int32_t>& values);
std::string encode_int32_from64(const int64_t* values, size_t count);  // asserts each fits
std::string encode_int64(const std::vector<int64_t>& values);
std::string encode_int8(const std::vector<int8_t>& values);
std::string encode_uint8(const std::vector<uint8_t>& values);

// Decoders: `bytes`/`size` is the blob, `dtype` its type column, `count` the
// element count its shape columns promise. Throw BlobError on any mismatch
// (unknown dtype, wrong byte length, a type that cannot convert).
std::vector<float> decode_floats(const void* bytes, size_t size, int dtype, int64_t count);
std::vector<int64_t> decode_ints(const void* bytes, size_t size, int dtype, int64_t count);
std::vector<int32_t> decode_int32(const void* bytes, size_t size, int dtype, int64_t count);
std::vector<int8_t> decode_int8(const void* bytes, size_t size, int dtype, int64_t count);
std::vector<uint8_t> decode_uint8(const void* bytes, size_t size, int dtype, int64_t count);
// One element of a float blob (for score series); throws like decode_floats.
float decode_float_at(const void* bytes, size_t size, int dtype, int64_t index);

}  // namespace ssa::sessions
