// The shape every tokenizer.json component shares ({"type": "NFC", ...}): its type, and the
// one-line errors for a malformed or unsupported one.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "engine/tokenizer/tokenizer.h"

namespace ssa {

// spec["type"] of the `component` ("normalizer", "decoder", ...).
inline std::string component_type(const nlohmann::json& spec, const std::string& component) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string())
    throw TokenizerError(component + ": expected an object with a \"type\"");
  return spec["type"].get<std::string>();
}

[[noreturn]] inline void refuse_type(const std::string& component, const std::string& type,
                                     const std::string& supported) {
  throw TokenizerError(component + " type \"" + type + "\" is not supported (" + supported + ")");
}

}  // namespace ssa
