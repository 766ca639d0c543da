#include "engine/decode/generation.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ssa {

std::vector<int64_t> generate_greedy(DecodeSession& session, const ByteTokenizer& tokenizer,
                                     const GenerationOptions& options, trace::Observer* observer) {
  std::vector<int64_t> tokens;
  auto start = std::chrono::steady_clock::now();
  at::Tensor logits = session.prefill();
  for (int64_t s = 0; s < options.max_tokens; ++s) {
    // Only text bytes and EOS may be generated: never BOS, padding or a gist
    // (gists are placed by the layout, not predicted).
    at::Tensor allowed = logits.detach().to(at::kFloat).clone();
    allowed.index_fill_(0, at::tensor({ByteTokenizer::kBos}, at::kLong).to(allowed.device()),
                        -INFINITY);
    if (allowed.size(0) > ByteTokenizer::kPad)
      allowed.narrow(0, ByteTokenizer::kPad, allowed.size(0) - ByteTokenizer::kPad)
          .fill_(-INFINITY);
    const int64_t token = allowed.argmax().item<int64_t>();
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
      step.full_mass_coverage = session.last_full_mass_coverage();
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
