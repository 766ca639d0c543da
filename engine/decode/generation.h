// Greedy generation on a DecodeSession, reporting one DecodeStep per token.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/data/model_text.h"
#include "engine/decode/decode_session.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/trace/observer.h"

namespace ssa {

// The defaults are the byte-level models': stop at EOS, never BOS, PAD or a gist.
struct GenerationOptions {
  int64_t max_tokens = 32;
  // Generation ends after producing one of these (the model's EOS and every
  // stop id of its generation_config.json).
  std::vector<int64_t> stop_tokens{ByteTokenizer::kEos};
  // Ids never produced: BOS, PAD, gists (ModelText::never_generated), and
  // every id from banned_from on (-1: none).
  std::vector<int64_t> banned_tokens{ByteTokenizer::kBos};
  int64_t banned_from = ByteTokenizer::kPad;
  int64_t answer_chunk = -1;  // level-0 chunk holding a task's answer, or -1
};

// The stop and banned ids of a model's text, for a model of `vocab_size` ids.
GenerationOptions generation_options(const ModelText& text, int64_t vocab_size);

// Prefills the session and picks the most likely token step by step. Each
// DecodeStep carries the token produced, its text (what the tokenizer
// decodes for it alone: the piece the GUI shows), the step's time (the
// prefill counts for step 0), keys scored/read, the full-attention mass
// coverage (when the session measures it), and whether the answer chunk was
// unfolded by any layer or head (-1 without an answer chunk).
std::vector<int64_t> generate_greedy(DecodeSession& session, const Tokenizer& tokenizer,
                                     const GenerationOptions& options, trace::Observer* observer);

}  // namespace ssa
