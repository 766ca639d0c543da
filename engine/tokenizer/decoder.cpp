// The decoder chain, after tokenizers' decoders/{byte_level,byte_fallback,fuse,sequence}.rs.
#include "engine/tokenizer/decoder.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/json_component.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode_text.h"

namespace ssa {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const std::string kReplacement = "\xEF\xBF\xBD";

}  // namespace

Decoder Decoder::from_json(const nlohmann::json& spec) {
  Decoder d;
  if (!spec.is_null()) {
    d.none_ = false;
    d.add(spec);
  }
  return d;
}

void Decoder::add(const nlohmann::json& spec) {
  const std::string type = component_type(spec, "decoder");
  if (type == "Sequence") {
    for (const auto& inner : spec.at("decoders")) add(inner);
  } else if (type == "ByteLevel") {
    steps_.push_back(Step::kByteLevel);
  } else if (type == "ByteFallback") {
    steps_.push_back(Step::kByteFallback);
  } else if (type == "Fuse") {
    steps_.push_back(Step::kFuse);
  } else {
    refuse_type("decoder", type, "ByteLevel, ByteFallback, Fuse and Sequence are");
  }
}

std::optional<unsigned char> Decoder::fallback_byte(std::string_view token) {
  // Rust's u8::from_str_radix(&token[3..5], 16) on "<0x??>": two hex digits, or "+" and one.
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token.back() != '>') return std::nullopt;
  const int hi = hex_digit(token[3]), lo = hex_digit(token[4]);
  if (token[3] == '+' && lo >= 0) return static_cast<unsigned char>(lo);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<unsigned char>(hi * 16 + lo);
}

bool Decoder::is_fallback_byte(std::string_view token) const {
  return std::find(steps_.begin(), steps_.end(), Step::kByteFallback) != steps_.end() &&
         fallback_byte(token).has_value();
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  if (none_) {
    std::string text;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) text += ' ';
      text += tokens[i];
    }
    return text;
  }
  for (Step step : steps_) {
    std::vector<std::string> out;
    switch (step) {
      case Step::kByteLevel: {
        std::string bytes;
        for (const std::string& t : tokens) {
          if (auto b = byte_level::to_bytes(t))
            bytes += *b;
          else
            bytes += t;  // a token with other characters (an added token) stays as it is
        }
        out.push_back(unicode::lossy(bytes));
        break;
      }
      case Step::kByteFallback: {
        std::string run;
        auto flush = [&] {
          if (run.empty()) return;
          if (!unicode::first_invalid_byte(run))
            out.push_back(run);
          else
            for (size_t i = 0; i < run.size(); ++i) out.push_back(kReplacement);
          run.clear();
        };
        for (std::string& t : tokens) {
          if (auto b = fallback_byte(t)) {
            run += static_cast<char>(*b);
          } else {
            flush();
            out.push_back(std::move(t));
          }
        }
        flush();
        break;
      }
      case Step::kFuse: {
        std::string all;
        for (const std::string& t : tokens) all += t;
        out.push_back(std::move(all));
        break;
      }
    }
    tokens.swap(out);
  }
  std::string text;
  for (const std::string& t : tokens) text += t;
  return text;
}

}  // namespace ssa
