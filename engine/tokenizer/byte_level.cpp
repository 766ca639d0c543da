// GPT-2's bytes_to_unicode table, built once.
#include "engine/tokenizer/byte_level.h"

#include <vector>

#include "engine/tokenizer/unicode_text.h"

namespace ssa::byte_level {
namespace {

struct Table {
  std::array<char32_t, 256> code{};
  std::array<std::string, 256> utf8;
  std::vector<int16_t> byte_of_code;  // indexed by code point (< 0x144), -1 when none

  Table() {
    std::array<bool, 256> printable{};
    for (int b = '!'; b <= '~'; ++b) printable[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) code[b] = printable[b] ? char32_t(b) : next++;
    byte_of_code.assign(next, -1);
    for (int b = 0; b < 256; ++b) {
      unicode::append(utf8[b], code[b]);
      byte_of_code[code[b]] = static_cast<int16_t>(b);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const std::string& char_of(unsigned char byte) {
  return table().utf8[byte];
}

std::optional<unsigned char> byte_of(char32_t c) {
  const Table& t = table();
  if (c >= t.byte_of_code.size() || t.byte_of_code[c] < 0) return std::nullopt;
  return static_cast<unsigned char>(t.byte_of_code[c]);
}

std::optional<std::string> to_bytes(std::string_view token) {
  std::string bytes;
  bytes.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    size_t len;
    const auto b = byte_of(unicode::decode_at(token, i, &len));
    if (!b) return std::nullopt;
    bytes += static_cast<char>(*b);
    i += len;
  }
  return bytes;
}

std::string from_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += char_of(b);
  return out;
}

}  // namespace ssa::byte_level
