// PreTokenizer: splits normalized text into the pieces ("words") that BPE encodes one by
// one, as tokenizer.json's "pre_tokenizer" says. Supported, with the semantics of the
// `tokenizers` library:
//   ByteLevel {add_prefix_space, use_regex}  GPT-2's split pattern (when use_regex) and the
//                                            byte-level reading of every piece
//   Split {pattern: Regex|String, behavior, invert}  behavior Removed, Isolated,
//                                            MergedWithPrevious, MergedWithNext, Contiguous
//   Sequence [...]                           the above in order (Llama 3, Qwen2: Split then
//                                            ByteLevel without regex)
// ByteLevel, when present, must come last: its pieces are then handed over as raw bytes and
// the model reads each byte as its byte-level character (byte_level.h). Any other type is
// refused with a TokenizerError naming it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string_view>
#include <vector>

#include "engine/tokenizer/regex.h"

namespace ssa {

// GPT-2's pattern, the one ByteLevel splits with when use_regex is set.
inline constexpr std::string_view kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class PreTokenizer {
 public:
  // Receives the pieces of one split() call, in order; never an empty one.
  struct Sink {
    virtual void piece(std::string_view piece) = 0;

   protected:
    ~Sink() = default;
  };

  PreTokenizer() = default;  // no pre-tokenizer: the whole text is one piece
  // From tokenizer.json's "pre_tokenizer" value (null allowed).
  static PreTokenizer from_json(const nlohmann::json& spec);

  // Whether pieces are byte-level (ByteLevel is the last step).
  bool byte_level() const { return byte_level_; }
  // Splits valid UTF-8 `text` (non-empty) into pieces.
  void split(std::string_view text, Sink& sink) const;

  enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

 private:
  struct Step {
    bool is_byte_level = false;
    std::optional<Regex> regex;  // Split's pattern, or GPT-2's for ByteLevel with use_regex
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;
  };
  void add_step(const nlohmann::json& spec);
  void run(size_t step, std::string_view piece, Sink& sink) const;
  void run_split(const Step& s, size_t next, std::string_view piece, Sink& sink) const;

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace ssa
