// Normalizer: tokenizer.json's "normalizer", applied to text before pre-tokenization (and to
// added tokens marked normalized). Supported: the Unicode normalization forms NFC, NFD,
// NFKC, NFKD (computed by ICU's Normalizer2) and a Sequence of them; any other type is
// refused with a TokenizerError naming it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ssa {

class Normalizer {
 public:
  Normalizer() = default;  // none: text stays as it is
  static Normalizer from_json(const nlohmann::json& spec);

  bool empty() const { return forms_.empty(); }
  // `text` (valid UTF-8) normalized; returns `text` itself when nothing changes, else a view
  // of `storage`.
  std::string_view apply(std::string_view text, std::string& storage) const;

 private:
  enum class Form { kNFC, kNFD, kNFKC, kNFKD };
  void add(const nlohmann::json& spec);
  std::vector<Form> forms_;
};

}  // namespace ssa
