// The byte-to-unicode map of GPT-2's byte-level BPE: every byte value stands for one
// printable character (printable Latin-1 for itself, the others for U+0100.. in order), so
// that a vocabulary of strings can hold any byte sequence. "Ġ" (U+0120) is the space.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssa::byte_level {

// The UTF-8 of the character that stands for `byte`.
const std::string& char_of(unsigned char byte);
// The byte a character stands for, if it is one of the 256.
std::optional<unsigned char> byte_of(char32_t c);
// The bytes a vocabulary string stands for, when every character of it is one of the 256.
std::optional<std::string> to_bytes(std::string_view token);
// The vocabulary string that stands for `bytes`.
std::string from_bytes(std::string_view bytes);

}  // namespace ssa::byte_level
