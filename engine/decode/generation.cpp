#include "engine/decode/generation.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

namespace ssa {

std::vector<int64_t> generate_greedy(DecodeSession& session, const ByteTokenizer& tokenizer,
                                     const GenerationOptions& options, trace::Observer* observer) {
  std::vector<int64_t> tokens;
  auto start = std::chrono::steady_clock::now();
  at::Tensor logits = session.prefill();
  for (int64_t s = 0; s < options.max_tokens; ++s) {
    const int64_t token = logits.argmax().item<int64_t>();
    tokens.push_back(token);
    if (observer) {
      trace::DecodeStep step;
      step.step = s;
      step.token_id = token;
      step.text = tokenizer.token_text(token);
      step.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      step.keys_scored = static_cast<int64_t>(session.last_keys_scored() + 0.5);
      step.keys_read = static_cast<int64_t>(session.last_keys_read() + 0.5);
      if (options.answer_chunk >= 0) {
        const auto& unfolded = session.last_unfolded_chunks();
        step.answer_unfolded =
            std::binary_search(unfolded.begin(), unfolded.end(), options.answer_chunk) ? 1 : 0;
      }
      observer->on_decode_step(step);
    }
    if (token == options.stop_token || s + 1 == options.max_tokens) break;
    start = std::chrono::steady_clock::now();
    logits = session.step(token);
  }
  return tokens;
}

}  // namespace ssa
