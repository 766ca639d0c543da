// Examples in a model's tokens (ModelText): the document, prompt and answer
// tokenized, and the answer's place in the document as a range of raw tokens.
//
// Byte tokenizer: one token per byte, so the range is the byte range, and
// everything is exactly as before tokenizers came in.
//
// A model's BPE tokenizer:
//  - The texts are made valid UTF-8 first (each ill-formed byte sequence, e.g.
//    a character cut at a document's end, becomes one U+FFFD), the answer's
//    byte range moving with them.
//  - A prompt's trailing spaces move to the front of the answer: BPE
//    vocabularies attach a space to the word after it (" cellar"), so a
//    prompt ending in a space would ask for a token pair the model rarely saw.
//  - The document is tokenized whole. The answer's tokens are those that
//    overlap its bytes, found from the tokens' byte offsets. The offsets are
//    exact when decoding the tokens gives the text back byte for byte, which
//    byte-level BPE without a normalizer always does (each token is a fixed
//    byte string; tokens that only together make a character share its
//    bytes). When it does not (a normalizer changed the text), the document
//    is tokenized in three parts -- before the answer, the answer, after it
//    -- so the range is exact by construction; the tokens then differ from a
//    whole-text encoding at most at those two boundaries (in our tasks both
//    are word boundaries).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/data/model_text.h"
#include "engine/data/tasks.h"

namespace ssa {

// Fills example.document_ids, prompt_ids, answer_ids, answer_token_begin /
// answer_token_end and sets tokenized (see above).
void tokenize_example(const ModelText& text, Example& example);

// Where each token of `ids` begins in `text` (ids.size() + 1 offsets, the
// last text.size()) when decoding them gives `text` back byte for byte;
// tokens that only together decode to whole characters all begin where their
// characters begin. nullopt when the decoded text differs.
std::optional<std::vector<int64_t>> token_byte_offsets(const Tokenizer& tokenizer,
                                                       const std::vector<int64_t>& ids,
                                                       std::string_view text);

// The tokenized example that best fills a budget of tokens. `draw(bytes)`
// makes the example with a document of `bytes` bytes (a deterministic
// function of bytes); `used(example)` counts the tokens of a tokenized
// example that the budget limits. Document sizes are tried, scaled by the
// tokens per byte measured, until one uses 98% of the budget or more (or 8
// tokens short of it); the fullest one that fits is returned (after at most
// 12 tries). Throws std::invalid_argument when none fits.
Example fit_example(const std::function<Example(int64_t bytes)>& draw, const ModelText& text,
                    int64_t budget, const std::function<int64_t(const Example&)>& used);

}  // namespace ssa
