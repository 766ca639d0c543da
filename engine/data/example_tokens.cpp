// Examples -> token ids with the answer's raw-token range (see example_tokens.h).
#include "engine/data/example_tokens.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/model/message.h"
#include "engine/tokenizer/unicode_text.h"

namespace ssa {
namespace {

// A window of tokens that has not decoded to the text after this many is not
// a split character: the decoded text differs.
constexpr size_t kMaxCharacterTokens = 8;

std::vector<int64_t> bytes_of(std::string_view text) {
  return std::vector<int64_t>(reinterpret_cast<const unsigned char*>(text.data()),
                              reinterpret_cast<const unsigned char*>(text.data()) + text.size());
}

void append(std::vector<int64_t>& to, const std::vector<int64_t>& ids) {
  to.insert(to.end(), ids.begin(), ids.end());
}

// The raw-token range [begin, end) of the tokens overlapping bytes [b, e).
std::pair<int64_t, int64_t> overlapping(const std::vector<int64_t>& offsets, int64_t b, int64_t e) {
  const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  int64_t first = -1, last = -1;
  int64_t end = offsets[n];
  // Backwards, so that each token knows where the next distinct offset is.
  for (int64_t t = n - 1; t >= 0; --t) {
    if (offsets[t + 1] > offsets[t]) end = offsets[t + 1];
    if (offsets[t] < e && end > b) {
      if (last < 0) last = t + 1;
      first = t;
    }
  }
  return {first, last};
}

}  // namespace

std::optional<std::vector<int64_t>> token_byte_offsets(const Tokenizer& tokenizer,
                                                       const std::vector<int64_t>& ids,
                                                       std::string_view text) {
  std::vector<int64_t> offsets(ids.size() + 1);
  size_t pos = 0, window = 0;  // tokens [window, i] decode together
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string piece =
        tokenizer.decode(std::vector<int64_t>(ids.begin() + static_cast<int64_t>(window),
                                              ids.begin() + static_cast<int64_t>(i) + 1),
                         false);
    if (text.compare(pos, piece.size(), piece) == 0) {
      for (size_t t = window; t <= i; ++t) offsets[t] = static_cast<int64_t>(pos);
      pos += piece.size();
      window = i + 1;
    } else if (i + 1 - window >= kMaxCharacterTokens) {
      return std::nullopt;
    }
  }
  if (window != ids.size() || pos != text.size()) return std::nullopt;
  offsets[ids.size()] = static_cast<int64_t>(pos);
  return offsets;
}

void tokenize_example(const ModelText& text, Example& ex) {
  const Tokenizer& tokenizer = *text.tokenizer;
  ex.tokenized = true;
  if (text.byte_level) {
    ex.document_ids = bytes_of(ex.document);
    ex.prompt_ids = bytes_of(ex.prompt);
    ex.answer_ids = bytes_of(ex.answer);
    ex.answer_token_begin = ex.answer_begin;
    ex.answer_token_end = ex.answer_end;
    return;
  }
  const bool located = ex.answer_begin >= 0;
  std::string before, held, after;
  if (located) {
    // Valid UTF-8 part by part, so that the answer's bytes stay apart.
    const std::string_view doc = ex.document;
    before = unicode::lossy(doc.substr(0, static_cast<size_t>(ex.answer_begin)));
    held = unicode::lossy(doc.substr(static_cast<size_t>(ex.answer_begin),
                                     static_cast<size_t>(ex.answer_end - ex.answer_begin)));
    after = unicode::lossy(doc.substr(static_cast<size_t>(ex.answer_end)));
    ex.document = before + held + after;
    ex.answer_begin = static_cast<int64_t>(before.size());
    ex.answer_end = ex.answer_begin + static_cast<int64_t>(held.size());
  } else {
    ex.document = unicode::lossy(ex.document);
  }
  std::string prompt = unicode::lossy(ex.prompt), answer = unicode::lossy(ex.answer);
  if (!answer.empty()) {
    const size_t kept = prompt.find_last_not_of(' ') + 1;  // npos + 1 == 0
    answer = prompt.substr(kept) + answer;
    prompt.resize(kept);
  }
  ex.prompt_ids = tokenizer.encode(prompt);
  ex.answer_ids = tokenizer.encode(answer);
  ex.document_ids = tokenizer.encode(ex.document);
  ex.answer_token_begin = ex.answer_token_end = -1;
  if (!located) return;
  if (const auto offsets = token_byte_offsets(tokenizer, ex.document_ids, ex.document)) {
    std::tie(ex.answer_token_begin, ex.answer_token_end) =
        overlapping(*offsets, ex.answer_begin, ex.answer_end);
    return;
  }
  // The decoded text is not the text (a normalizer): three parts, exact by construction.
  ex.document_ids = tokenizer.encode(before);
  ex.answer_token_begin = static_cast<int64_t>(ex.document_ids.size());
  append(ex.document_ids, tokenizer.encode(held));
  ex.answer_token_end = static_cast<int64_t>(ex.document_ids.size());
  append(ex.document_ids, tokenizer.encode(after));
}

Example fit_example(const std::function<Example(int64_t)>& draw, const ModelText& text,
                    int64_t budget, const std::function<int64_t(const Example&)>& used) {
  if (budget < 1) throw std::invalid_argument(message("a budget of ", budget, " tokens"));
  const int64_t close = std::max<int64_t>(budget - budget / 50, budget - 8);
  // The tightest sizes known to fit (lo) and not to (hi), with their token counts.
  int64_t lo = 0, lo_used = 0, hi = -1, hi_used = 0;
  std::optional<Example> best;
  int64_t bytes = 4 * budget;  // English BPE: about 4 bytes per token
  for (int attempt = 0; attempt < 12; ++attempt) {
    Example ex = draw(bytes);
    tokenize_example(text, ex);
    const int64_t n = used(ex);
    if (n <= budget) {
      if (n >= close) return ex;
      if (!best || bytes > lo) lo = bytes, lo_used = n, best = std::move(ex);
    } else if (hi < 0 || bytes < hi) {
      hi = bytes, hi_used = n;
    }
    // Aim 1% under the budget: between the bracket by straight line, else by
    // the ratio of the last try.
    const double target = budget - std::max<double>(1.0, budget / 100.0);
    double next;
    if (best && hi >= 0)
      next = lo + (hi - lo) * (target - lo_used) / std::max<double>(1.0, hi_used - lo_used);
    else
      next = bytes * target / std::max<int64_t>(1, n);
    int64_t guess = static_cast<int64_t>(std::floor(next));
    if (best) guess = std::max(guess, lo + 1);
    if (hi >= 0) guess = std::min(guess, hi - 1);
    if (guess < 1 || (best && hi >= 0 && hi - lo <= 1)) break;
    bytes = guess;
  }
  if (!best)
    throw std::invalid_argument(message("no document fits in ", budget,
                                        " tokens (the shortest tried needs ", hi_used, ")"));
  return std::move(*best);
}

}  // namespace ssa
