// Greedy generation on a DecodeSession, reporting one DecodeStep per token.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/decode/decode_session.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/trace/observer.h"

namespace ssa {

struct GenerationOptions {
  int64_t max_tokens = 32;
  int64_t stop_token = ByteTokenizer::kEos;  // generation ends after producing it
  int64_t answer_chunk = -1;                 // level-0 chunk holding a task's answer, or -1
};

// Prefills the session and picks the most likely token step by step. Each
// DecodeStep carries the token produced, its text, the step's time (the
// prefill counts for step 0), keys scored/read, the full-attention mass
// coverage (when the session measures it), and whether the answer chunk was
// unfolded by any layer or head (-1 without an answer chunk).
std::vector<int64_t> generate_greedy(DecodeSession& session, const ByteTokenizer& tokenizer,
                                     const GenerationOptions& options, trace::Observer* observer);

}  // namespace ssa
