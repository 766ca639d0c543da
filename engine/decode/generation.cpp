#include "engine/decode/generation.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ssa {

GenerationOptions generation_options(const ModelText& text, int64_t vocab_size) {
  GenerationOptions options;
  options.stop_tokens = text.stop_ids;
  options.banned_tokens = text.never_generated(vocab_size);
  options.banned_from = -1;
  return options;
}

std::vector<int64_t> generate_greedy(DecodeSession& session, const Tokenizer& tokenizer,
                                     const GenerationOptions& options, trace::Observer* observer) {
  std::vector<int64_t> tokens;
  auto start = std::chrono::steady_clock::now();
  at::Tensor logits = session.prefill();
  const at::Tensor banned = at::tensor(options.banned_tokens, at::kLong).to(logits.device());
  for (int64_t s = 0; s < options.max_tokens; ++s) {
    // Gists are placed by the layout, never predicted; nor are BOS and padding.
    at::Tensor allowed = logits.detach().to(at::kFloat).clone();
    if (banned.numel() > 0) allowed.index_fill_(0, banned, -INFINITY);
    if (options.banned_from >= 0 && allowed.size(0) > options.banned_from)
      allowed.narrow(0, options.banned_from, allowed.size(0) - options.banned_from)
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
    const bool stop = std::find(options.stop_tokens.begin(), options.stop_tokens.end(), token) !=
                      options.stop_tokens.end();
    if (stop || s + 1 == options.max_tokens) break;
    start = std::chrono::steady_clock::now();
    logits = session.step(token);
  }
  return tokens;
}

}  // namespace ssa
