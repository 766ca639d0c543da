// Unicode normalization forms through ICU (libicu, Debian's libicu-dev).
#include "engine/tokenizer/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <nlohmann/json.hpp>

#include "engine/tokenizer/json_component.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {
namespace {

const icu::Normalizer2* instance(int form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case 0:
      n = icu::Normalizer2::getNFCInstance(status);
      break;
    case 1:
      n = icu::Normalizer2::getNFDInstance(status);
      break;
    case 2:
      n = icu::Normalizer2::getNFKCInstance(status);
      break;
    default:
      n = icu::Normalizer2::getNFKDInstance(status);
      break;
  }
  if (U_FAILURE(status) || n == nullptr)
    throw TokenizerError(std::string("normalizer: ICU has no data for it: ") + u_errorName(status));
  return n;
}

}  // namespace

Normalizer Normalizer::from_json(const nlohmann::json& spec) {
  Normalizer n;
  if (!spec.is_null()) n.add(spec);
  return n;
}

void Normalizer::add(const nlohmann::json& spec) {
  const std::string type = component_type(spec, "normalizer");
  if (type == "Sequence") {
    for (const auto& inner : spec.at("normalizers")) add(inner);
  } else if (type == "NFC") {
    forms_.push_back(Form::kNFC);
  } else if (type == "NFD") {
    forms_.push_back(Form::kNFD);
  } else if (type == "NFKC") {
    forms_.push_back(Form::kNFKC);
  } else if (type == "NFKD") {
    forms_.push_back(Form::kNFKD);
  } else {
    refuse_type("normalizer", type, "NFC, NFD, NFKC, NFKD and Sequence are");
  }
  instance(static_cast<int>(forms_.back()));  // fail at load time if ICU lacks the data
}

std::string_view Normalizer::apply(std::string_view text, std::string& storage) const {
  std::string_view current = text;
  std::string next;
  for (Form form : forms_) {
    const icu::Normalizer2* n = instance(static_cast<int>(form));
    UErrorCode status = U_ZERO_ERROR;
    const icu::StringPiece piece(current.data(), static_cast<int32_t>(current.size()));
    if (n->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) continue;
    status = U_ZERO_ERROR;
    next.clear();
    icu::StringByteSink<std::string> sink(&next, static_cast<int32_t>(current.size()));
    n->normalizeUTF8(0, piece, sink, nullptr, status);
    if (U_FAILURE(status))
      throw TokenizerError(std::string("normalizer: ICU failed: ") + u_errorName(status));
    storage.swap(next);
    current = storage;
  }
  return current;
}

}  // namespace ssa
