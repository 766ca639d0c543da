// Templates of tokenizers' processors/{template,roberta,bert,sequence}.rs, single sequence.
#include "engine/tokenizer/post_processor.h"

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "engine/tokenizer/json_component.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {
namespace {

// The ids of a TemplateProcessing special token, from its "special_tokens" table.
std::vector<int64_t> special_ids(const nlohmann::json& spec, const std::string& name) {
  const auto& table = spec.at("special_tokens");
  if (!table.contains(name))
    throw TokenizerError("post_processor: template names \"" + name +
                         "\", which is not in its special_tokens");
  return table[name].at("ids").get<std::vector<int64_t>>();
}

// "<s>:1" -> "<s>": a template word may end in ":type_id".
std::string without_type_id(const std::string& word) {
  const size_t colon = word.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == word.size()) return word;
  for (size_t i = colon + 1; i < word.size(); ++i)
    if (word[i] < '0' || word[i] > '9') return word;
  return word.substr(0, colon);
}

}  // namespace

PostProcessor PostProcessor::from_json(const nlohmann::json& spec) {
  PostProcessor p;
  if (!spec.is_null()) p.add(spec);
  return p;
}

void PostProcessor::add(const nlohmann::json& spec) {
  const std::string type = component_type(spec, "post_processor");
  if (type == "Sequence") {
    for (const auto& inner : spec.at("processors")) add(inner);
  } else if (type == "ByteLevel") {
    // Trims offsets; adds nothing.
  } else if (type == "TemplateProcessing") {
    std::vector<Piece> pieces;
    const auto& single = spec.at("single");
    if (single.is_string()) {
      // The string form: "$A", "$A:0", "<s>", "<s>:1", separated by spaces.
      std::istringstream words(single.get<std::string>());
      for (std::string word; words >> word;) {
        const std::string name = without_type_id(word);
        if (name == "$" || name == "$A" || name == "$B")
          pieces.push_back({true, {}});
        else
          pieces.push_back({false, special_ids(spec, name)});
      }
    } else {
      for (const auto& piece : single) {
        if (piece.contains("Sequence"))
          pieces.push_back({true, {}});
        else if (piece.contains("SpecialToken"))
          pieces.push_back({false, special_ids(spec, piece["SpecialToken"].at("id"))});
        else
          throw TokenizerError(
              "post_processor: template piece is neither Sequence nor SpecialToken");
      }
    }
    templates_.push_back(std::move(pieces));
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    // "cls": ["<s>", 0], "sep": ["</s>", 2]: cls A sep.
    const int64_t cls = spec.at("cls").at(1).get<int64_t>();
    const int64_t sep = spec.at("sep").at(1).get<int64_t>();
    templates_.push_back({{false, {cls}}, {true, {}}, {false, {sep}}});
  } else {
    refuse_type(
        "post_processor", type,
        "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel and Sequence are");
  }
}

std::vector<int64_t> PostProcessor::apply(std::vector<int64_t> ids) const {
  for (const auto& pieces : templates_) {
    std::vector<int64_t> out;
    out.reserve(ids.size() + 4);
    for (const Piece& p : pieces) {
      if (p.is_sequence)
        out.insert(out.end(), ids.begin(), ids.end());
      else
        out.insert(out.end(), p.ids.begin(), p.ids.end());
    }
    ids.swap(out);
  }
  return ids;
}

}  // namespace ssa
