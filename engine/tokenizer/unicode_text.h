// UTF-8 and Unicode character facts the tokenizer needs: validation with the offset of the
// first bad byte, lossy decoding exactly as Rust's String::from_utf8_lossy (which Hugging
// Face decoders use), and the character classes of the Rust `regex` crate (\w, \s) and of
// Python's str.isspace(). Character properties come from ICU.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ssa::unicode {

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong
// forms, surrogates and values past U+10FFFF are ill-formed), or nullopt for valid text.
std::optional<size_t> first_invalid_byte(std::string_view bytes);
// Throws TokenizerError "<what> is not valid UTF-8 at byte N" for invalid text.
void require_utf8(std::string_view bytes, std::string_view what = "text");

// Valid text as it is; each maximal ill-formed subsequence replaced by one U+FFFD.
std::string lossy(std::string_view bytes);
// Length of a trailing ill-formed tail that more bytes could still complete into one
// character (e.g. "\xE2\x82" at the end), 0 when the text ends on a character boundary.
size_t incomplete_tail(std::string_view bytes);

// The code point starting at bytes[pos] of valid UTF-8, and its length in *len.
char32_t decode_at(std::string_view bytes, size_t pos, size_t* len);
// The code point that ends at bytes[end] (exclusive) of valid UTF-8, and its length.
char32_t decode_before(std::string_view bytes, size_t end, size_t* len);
// Length of the UTF-8 sequence a lead byte starts (1 for ASCII and stray bytes).
inline size_t sequence_length(unsigned char lead) {
  return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
void append(std::string& out, char32_t c);

// `\w` of the Rust regex crate: Alphabetic, Mark, Decimal_Number, Connector_Punctuation,
// Join_Control.
bool is_word_char(char32_t c);
// `\s` of the Rust regex crate and Rust's char::is_whitespace: White_Space.
bool is_white_space(char32_t c);
// Python's str.isspace() (and so str.strip()): Zs, or bidi class WS, B or S.
bool is_python_space(char32_t c);

}  // namespace ssa::unicode
