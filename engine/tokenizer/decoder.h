// Decoder: tokenizer.json's "decoder", which turns the vocabulary strings of decoded ids
// into text. Supported, as the `tokenizers` library runs them:
//   ByteLevel     byte-level characters back to bytes, then UTF-8 read as
//                 String::from_utf8_lossy reads it (bad bytes become U+FFFD)
//   ByteFallback  runs of <0xXX> tokens back to bytes (an invalid run: one U+FFFD per byte)
//   Fuse          everything into one string
//   Sequence [...]
// No decoder joins the tokens with spaces, as tokenizers does. Other types are refused with
// a TokenizerError naming them.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssa {

class Decoder {
 public:
  Decoder() = default;
  static Decoder from_json(const nlohmann::json& spec);

  std::string decode(std::vector<std::string> tokens) const;
  // Whether `token` is one that ByteFallback turns into a byte (and so joins the tokens
  // after it); false when the decoder has no ByteFallback.
  bool is_fallback_byte(std::string_view token) const;

  // The byte of a "<0xXX>" token, as ByteFallback reads it.
  static std::optional<unsigned char> fallback_byte(std::string_view token);

 private:
  enum class Step { kByteLevel, kByteFallback, kFuse };
  void add(const nlohmann::json& spec);
  std::vector<Step> steps_;
  bool none_ = true;  // no decoder at all
};

}  // namespace ssa
