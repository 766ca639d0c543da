// Blob codec: see blob_codec.h. Every decoder checks dtype and byte length
// before touching the bytes; nothing here trusts the file.
#include "sessions/blob_codec.h"

#include <cassert>
#include <cstring>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SSA_HAVE_F16C_PATH 1
#endif

namespace ssa::sessions {
namespace {

// Recordings are little-endian on disk; all machines we build for are too.
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559, "IEEE float required");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sessions/ assumes a little-endian machine"
#endif

void check_blob(size_t size, int dtype, int64_t count) {
  size_t width = dtype_size(dtype);
  if (width == 0) throw BlobError("unknown element type " + std::to_string(dtype));
  if (count < 0 || uint64_t(count) > std::numeric_limits<size_t>::max() / width ||
      size_t(count) * width != size) {
    throw BlobError("blob of " + std::to_string(size) + " bytes does not hold " +
                    std::to_string(count) + " " + dtype_name(dtype) + " values");
  }
}

template <class T>
std::string encode_raw(const T* values, size_t count) {
  return std::string(reinterpret_cast<const char*>(values), count * sizeof(T));
}

template <class Out, class In>
void widen(const void* bytes, size_t count, Out* out) {
  const char* p = static_cast<const char*>(bytes);
  for (size_t i = 0; i < count; ++i) {
    In v;
    std::memcpy(&v, p + i * sizeof(In), sizeof(In));
    out[i] = static_cast<Out>(v);
  }
}

template <class Out>
std::vector<Out> decode_integers(const void* bytes, size_t size, int dtype, int64_t count) {
  check_blob(size, dtype, count);
  std::vector<Out> out(static_cast<size_t>(count));
  if (count == 0) return out;
  switch (Dtype(dtype)) {
    case Dtype::kUint8:
      widen<Out, uint8_t>(bytes, out.size(), out.data());
      break;
    case Dtype::kInt8:
      widen<Out, int8_t>(bytes, out.size(), out.data());
      break;
    case Dtype::kInt32:
      if (sizeof(Out) < 4) throw BlobError("int32 blob where a narrower type is expected");
      widen<Out, int32_t>(bytes, out.size(), out.data());
      break;
    case Dtype::kInt64:
      if (sizeof(Out) < 8) throw BlobError("int64 blob where a narrower type is expected");
      widen<Out, int64_t>(bytes, out.size(), out.data());
      break;
    default:
      throw BlobError(std::string(dtype_name(dtype)) + " blob where integers are expected");
  }
  return out;
}

#ifdef SSA_HAVE_F16C_PATH
// The writer converts ~1M scores per 7B-shaped decode step: with F16C the
// conversion is 8 lanes per instruction, round to nearest even like the
// portable path (tests compare both with _Float16).
__attribute__((target("f16c,avx"))) void narrow_f16c(const float* in, size_t n, char* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), h);
  }
  for (; i < n; ++i) {
    uint16_t h = float_to_half(in[i]);
    std::memcpy(out + 2 * i, &h, 2);
  }
}

__attribute__((target("f16c,avx"))) void widen_f16c(const char* in, size_t n, float* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, in + 2 * i, 2);
    out[i] = half_to_float(h);
  }
}

// CPUID leaf 1 (F16C: ECX bit 29, AVX: bit 28, OSXSAVE: bit 27) and XGETBV
// (the OS saves the YMM state): clang 14 has no __builtin_cpu_supports("f16c").
bool have_f16c() {
  static const bool yes = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool f16c = c & (1u << 29), avx = c & (1u << 28), osxsave = c & (1u << 27);
    if (!(f16c && avx && osxsave)) return false;
    unsigned lo = 0, hi = 0;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0x6) == 0x6;  // XMM and YMM state enabled
  }();
  return yes;
}
#endif

}  // namespace

size_t dtype_size(int dtype) {
  switch (dtype) {
    case int(Dtype::kFloat16):
      return 2;
    case int(Dtype::kFloat32):
      return 4;
    case int(Dtype::kUint8):
      return 1;
    case int(Dtype::kInt8):
      return 1;
    case int(Dtype::kInt32):
      return 4;
    case int(Dtype::kInt64):
      return 8;
    default:
      return 0;
  }
}

const char* dtype_name(int dtype) {
  switch (dtype) {
    case int(Dtype::kFloat16):
      return "float16";
    case int(Dtype::kFloat32):
      return "float32";
    case int(Dtype::kUint8):
      return "uint8";
    case int(Dtype::kInt8):
      return "int8";
    case int(Dtype::kInt32):
      return "int32";
    case int(Dtype::kInt64):
      return "int64";
    default:
      return "unknown";
  }
}

uint16_t float_to_half(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  uint32_t sign = (f >> 16) & 0x8000u;
  uint32_t exp = (f >> 23) & 0xffu;
  uint32_t mant = f & 0x7fffffu;
  if (exp == 0xff) {  // inf or NaN: keep NaN quiet and non-zero
    return uint16_t(sign | 0x7c00u | (mant ? (0x200u | (mant >> 13)) : 0u));
  }
  int32_t e = int32_t(exp) - 127 + 15;
  if (e >= 31) return uint16_t(sign | 0x7c00u);  // overflow -> inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand, round to nearest even.
    if (e < -10) return uint16_t(sign);
    uint32_t m = mant | 0x800000u;
    uint32_t shift = uint32_t(14 - e);
    uint32_t half = m >> shift;
    uint32_t rest = m & ((1u << shift) - 1);
    uint32_t midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1u))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = (uint32_t(e) << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return uint16_t(sign | half);
}

float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t f;
  if (exp == 0x1f) {
    f = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      f = sign;
    } else {  // subnormal: normalise
      int32_t e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      f = sign | (uint32_t(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else {
    f = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float out;
  std::memcpy(&out, &f, 4);
  return out;
}

std::string encode_floats(const float* values, size_t count, Dtype dtype) {
  if (dtype == Dtype::kFloat32) return encode_raw(values, count);
  assert(dtype == Dtype::kFloat16);
  std::string out(count * 2, '\0');
#ifdef SSA_HAVE_F16C_PATH
  if (have_f16c()) {
    narrow_f16c(values, count, &out[0]);
    return out;
  }
#endif
  for (size_t i = 0; i < count; ++i) {
    uint16_t h = float_to_half(values[i]);
    std::memcpy(&out[i * 2], &h, 2);
  }
  return out;
}

std::string encode_int32(const std::vector<int32_t>& v) {
  return encode_raw(v.data(), v.size());
}
std::string encode_int64(const std::vector<int64_t>& v) {
  return encode_raw(v.data(), v.size());
}
std::string encode_int8(const std::vector<int8_t>& v) {
  return encode_raw(v.data(), v.size());
}
std::string encode_uint8(const std::vector<uint8_t>& v) {
  return encode_raw(v.data(), v.size());
}

std::string encode_int32_from64(const int64_t* values, size_t count) {
  std::string out(count * 4, '\0');
  for (size_t i = 0; i < count; ++i) {
    assert(values[i] >= std::numeric_limits<int32_t>::min() &&
           values[i] <= std::numeric_limits<int32_t>::max());
    int32_t v = int32_t(values[i]);
    std::memcpy(&out[i * 4], &v, 4);
  }
  return out;
}

std::vector<float> decode_floats(const void* bytes, size_t size, int dtype, int64_t count) {
  check_blob(size, dtype, count);
  std::vector<float> out(static_cast<size_t>(count));
  if (count == 0) return out;
  if (dtype == int(Dtype::kFloat32)) {
    std::memcpy(out.data(), bytes, size);
  } else if (dtype == int(Dtype::kFloat16)) {
    const char* p = static_cast<const char*>(bytes);
#ifdef SSA_HAVE_F16C_PATH
    if (have_f16c()) {
      widen_f16c(p, out.size(), out.data());
      return out;
    }
#endif
    for (size_t i = 0; i < out.size(); ++i) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = half_to_float(h);
    }
  } else {
    throw BlobError(std::string(dtype_name(dtype)) + " blob where scores are expected");
  }
  return out;
}

float decode_float_at(const void* bytes, size_t size, int dtype, int64_t index) {
  size_t width = dtype_size(dtype);
  if (dtype != int(Dtype::kFloat16) && dtype != int(Dtype::kFloat32)) {
    throw BlobError(std::string(dtype_name(dtype)) + " blob where scores are expected");
  }
  if (index < 0 || size % width != 0 || uint64_t(index) >= size / width) {
    throw BlobError("score index " + std::to_string(index) + " outside a blob of " +
                    std::to_string(size) + " bytes");
  }
  const char* p = static_cast<const char*>(bytes) + size_t(index) * width;
  if (width == 4) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return half_to_float(h);
}

std::vector<int64_t> decode_ints(const void* bytes, size_t size, int dtype, int64_t count) {
  return decode_integers<int64_t>(bytes, size, dtype, count);
}
std::vector<int32_t> decode_int32(const void* bytes, size_t size, int dtype, int64_t count) {
  return decode_integers<int32_t>(bytes, size, dtype, count);
}
std::vector<int8_t> decode_int8(const void* bytes, size_t size, int dtype, int64_t count) {
  if (dtype != int(Dtype::kInt8))
    throw BlobError(std::string(dtype_name(dtype)) + " blob where int8 is expected");
  return decode_integers<int8_t>(bytes, size, dtype, count);
}
std::vector<uint8_t> decode_uint8(const void* bytes, size_t size, int dtype, int64_t count) {
  if (dtype != int(Dtype::kUint8))
    throw BlobError(std::string(dtype_name(dtype)) + " blob where uint8 is expected");
  return decode_integers<uint8_t>(bytes, size, dtype, count);
}

}  // namespace ssa::sessions
