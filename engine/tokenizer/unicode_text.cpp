// UTF-8 validation and lossy decoding, and ICU-backed character classes.
#include "engine/tokenizer/unicode_text.h"

#include <unicode/uchar.h>

#include <cstring>

#include "engine/tokenizer/tokenizer.h"

namespace ssa::unicode {
namespace {

// Length of the well-formed prefix of the sequence starting at p[0] (< n bytes left), as
// Unicode's "maximal subpart" rule counts it; *complete tells whether it is a whole
// character. Returns 0 only for a byte that can start nothing (continuation, C0, C1, F5..).
size_t well_formed_prefix(const unsigned char* p, size_t n, bool* complete) {
  const unsigned char b = p[0];
  *complete = false;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b < 0x80) {
    *complete = true;
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  size_t i = 1;
  for (; i < need && i < n; ++i) {
    const unsigned char c = p[i];
    const bool ok = i == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    if (!ok) return i;
  }
  *complete = i == need;
  return i;
}

}  // namespace

std::optional<size_t> first_invalid_byte(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // ASCII runs eight bytes at a time: most text is mostly ASCII.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    bool complete;
    const size_t len = well_formed_prefix(p + i, n - i, &complete);
    if (!complete) return i;
    i += len;
  }
  return std::nullopt;
}

void require_utf8(std::string_view bytes, std::string_view what) {
  if (auto bad = first_invalid_byte(bytes))
    throw TokenizerError(std::string(what) + " is not valid UTF-8 at byte " + std::to_string(*bad));
}

std::string lossy(std::string_view bytes) {
  if (!first_invalid_byte(bytes)) return std::string(bytes);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  std::string out;
  out.reserve(n + 8);
  size_t i = 0;
  while (i < n) {
    bool complete;
    const size_t len = well_formed_prefix(p + i, n - i, &complete);
    if (complete) {
      out.append(bytes.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += len == 0 ? 1 : len;
    }
  }
  return out;
}

size_t incomplete_tail(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  // A character is at most 4 bytes: only the last 3 can be an unfinished one.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t start = n - back;
    if (p[start] >= 0x80 && p[start] < 0xC0) continue;  // a continuation byte: look further
    bool complete;
    const size_t len = well_formed_prefix(p + start, back, &complete);
    return (!complete && len == back) ? back : 0;
  }
  return 0;
}

char32_t decode_at(std::string_view bytes, size_t pos, size_t* len) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + pos;
  const unsigned char b = p[0];
  if (b < 0x80) {
    *len = 1;
    return b;
  }
  if (b < 0xE0) {
    *len = 2;
    return (char32_t(b & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (b < 0xF0) {
    *len = 3;
    return (char32_t(b & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  *len = 4;
  return (char32_t(b & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) |
         (p[3] & 0x3F);
}

char32_t decode_before(std::string_view bytes, size_t end, size_t* len) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(bytes[start]) & 0xC0) == 0x80) --start;
  return decode_at(bytes, start, len);
}

void append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool is_word_char(char32_t c) {
  const UChar32 u = static_cast<UChar32>(c);
  if (u_hasBinaryProperty(u, UCHAR_ALPHABETIC) || u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL))
    return true;
  return (U_GET_GC_MASK(u) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0;
}

bool is_white_space(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}

bool is_python_space(char32_t c) {
  const UChar32 u = static_cast<UChar32>(c);
  if (u_charType(u) == U_SPACE_SEPARATOR) return true;
  const UCharDirection d = u_charDirection(u);
  return d == U_WHITE_SPACE_NEUTRAL || d == U_BLOCK_SEPARATOR || d == U_SEGMENT_SEPARATOR;
}

}  // namespace ssa::unicode
