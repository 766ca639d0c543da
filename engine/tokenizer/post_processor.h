// PostProcessor: tokenizer.json's "post_processor", the template that wraps one encoded
// text in special tokens (Llama 3: BOS first). It applies only when encode() is asked for
// special tokens. Supported: TemplateProcessing (its "single" template), RobertaProcessing
// and BertProcessing (cls A sep), ByteLevel (offsets only: no ids), and a Sequence of them.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <vector>

namespace ssa {

class PostProcessor {
 public:
  PostProcessor() = default;  // none: nothing is added
  static PostProcessor from_json(const nlohmann::json& spec);

  // `ids` wrapped as the template says.
  std::vector<int64_t> apply(std::vector<int64_t> ids) const;

 private:
  // One template: pieces in order, each the sequence itself or a run of special ids.
  struct Piece {
    bool is_sequence = false;
    std::vector<int64_t> ids;
  };
  void add(const nlohmann::json& spec);
  std::vector<std::vector<Piece>> templates_;
};

}  // namespace ssa
