// Generated long-context tasks and plain text as training / evaluation
// examples. Every example is a document (compressed: gists go in it) and an
// uncompressed suffix (prompt + answer). Task examples record where their
// answer lives in the document, so a run can check whether the right chunk
// was unfolded. All generators are deterministic functions of the Rng.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/rng.h"
#include "engine/data/text_corpus.h"

namespace ssa {

struct Example {
  std::string kind;           // "passkey", "multikey", "multidoc", "fortunes", "bible"
  std::string document;       // the compressed part
  std::string prompt;         // uncompressed question after the document ("" for text)
  std::string answer;         // the completion to predict ("" for text)
  int64_t answer_begin = -1;  // byte range in `document` that holds the answer
  int64_t answer_end = -1;

  // The example in a model's tokens, filled by tokenize_example
  // (engine/data/example_tokens.h); empty until then.
  bool tokenized = false;
  std::vector<int64_t> document_ids, prompt_ids, answer_ids;  // no BOS, no EOS
  int64_t answer_token_begin = -1;  // raw-token range of document_ids holding the answer
  int64_t answer_token_end = -1;
};

// Longest prompt + answer (+ EOS) that `source`'s examples have: sizes the
// document so that the whole sequence fits. 0 for running text.
int64_t max_suffix_bytes(const std::string& source);

// A number hidden in filler text: "The pass key is 48213. Remember it."
Example make_passkey(Rng& rng, int64_t document_bytes);
// Many "key 4821: 93017" lines; the question asks for one of them.
Example make_multikey(Rng& rng, int64_t document_bytes);
// Several short documents, each stating where a person keeps an object, padded
// with `filler` text; one holds the answer, the others are distractors.
Example make_multidoc(Rng& rng, int64_t document_bytes, const TextCorpus& filler, Split split);
// Running text only (language modelling).
Example make_text(Rng& rng, int64_t document_bytes, const TextCorpus& corpus, Split split);

}  // namespace ssa
