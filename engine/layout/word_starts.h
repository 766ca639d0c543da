// Word starts for word-aware gist placement (ssa-spec.md, "Word-aware placement").
//
// A raw token starts a word when it is the first token, or when its decoded
// text (the text the tokenizer gives for that one token alone) is empty or
// begins with a space, tab, newline, carriage return or one of
// . , ; : ! ? - — ( ) [ ] { } " '  -- the reference's test, character for
// character. Any tokenizer can feed it: with the byte tokenizer a token's
// text is its single byte (so a lone byte of a multi-byte character never
// starts a word), with a BPE tokenizer the decoded piece (" the", "ing", ...).
// No LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ssa {

// True when a token whose decoded text is `text` starts a word (position aside).
bool text_starts_word(std::string_view text);

// Word starts of a document, one per raw token: texts[i] = decoded text of raw token i.
std::vector<bool> word_starts(const std::vector<std::string>& texts);

// The same from token ids and a one-token decoder (e.g. ByteTokenizer::token_text).
std::vector<bool> word_starts(const std::vector<int64_t>& tokens,
                              const std::function<std::string(int64_t)>& decode_one);

}  // namespace ssa
