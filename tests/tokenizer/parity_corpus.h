// The texts on which encode/decode must agree with the `tokenizers` library: prose, code,
// numbers, whitespace runs, emoji, CJK, accents in NFC and NFD, special tokens inside text,
// empty text, and long random Unicode strings (seeded, so failures reproduce).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::test {

// `specials`: the tokenizer's special tokens, written into some texts.
std::vector<std::string> parity_corpus(const std::vector<std::string>& specials, uint32_t seed);
// Random id lists in [0, vocab_size) for decode parity (bytes that do not form UTF-8 alone).
std::vector<std::vector<int64_t>> random_id_lists(int64_t vocab_size, size_t count, uint32_t seed);
// A random string of `length` code points drawn from a mix of scripts, marks, emoji,
// whitespace of every kind and (rarely) any scalar value.
std::string random_unicode(size_t length, uint32_t seed);

}  // namespace ssa::test
