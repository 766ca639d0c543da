// Regex: a PCRE2 pattern (8-bit, UTF + UCP, JIT-compiled) that splits text the way the
// Hugging Face `tokenizers` library splits it with Oniguruma: find_iter semantics of the
// `onig` crate (successive leftmost matches; an empty match right where the previous match
// ended is skipped), and Oniguruma's \p{L}, \p{N} and \s, which reach further in Unicode
// than PCRE2 10.42 does (onig_classes.h is spliced into the pattern). The split patterns of
// GPT-2, Llama 3 and Qwen2 then match exactly as in `tokenizers`; other classes (\w, \d,
// \b) keep PCRE2's meaning.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "engine/tokenizer/unicode_text.h"

struct pcre2_real_code_8;

namespace ssa {

class Regex {
 public:
  // Throws TokenizerError naming the pattern when PCRE2 refuses it.
  static Regex pattern(std::string_view pattern);
  // Matches `text` literally (a Split pre-tokenizer's String pattern).
  static Regex literal(std::string_view text);

  // Calls on_match(start, end) for every match in valid UTF-8 `subject`, left to right.
  template <class OnMatch>
  void for_each_match(std::string_view subject, OnMatch&& on_match) const {
    size_t last_end = 0;
    size_t last_match_end = std::string_view::npos;
    size_t start, end;
    while (last_end <= subject.size() && search(subject, last_end, &start, &end)) {
      if (start == end && last_match_end == end) {
        // As onig's FindMatches: no empty match right after a match; step one character.
        last_end += last_end < subject.size()
                        ? unicode::sequence_length(static_cast<unsigned char>(subject[last_end]))
                        : 1;
        continue;
      }
      last_end = last_match_end = end;
      on_match(start, end);
    }
  }

  const std::string& source() const { return source_; }

 private:
  Regex(std::string source, bool literal);
  // The leftmost match at or after `from`; false when there is none.
  bool search(std::string_view subject, size_t from, size_t* start, size_t* end) const;

  std::string source_;
  std::shared_ptr<pcre2_real_code_8> code_;
  bool jit_ = false;
};

}  // namespace ssa
