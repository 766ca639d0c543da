// Streaming decode over a short window of ids, restarted at every clean boundary.
#include "engine/tokenizer/stream_decoder.h"

#include "engine/tokenizer/unicode_text.h"

namespace ssa {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
// A window this long without a character boundary (only a stream of broken bytes gets
// there) is written out as it stands, so that a step never decodes more ids than this.
constexpr size_t kMaxWindow = 1024;

// Length of `text` without what more tokens could still change: an unfinished UTF-8
// sequence (raw bytes), or else one trailing U+FFFD (a lossy decoder writes exactly one for
// an unfinished sequence at the end; every earlier U+FFFD is final).
size_t settled_length(std::string_view text) {
  if (const size_t tail = unicode::incomplete_tail(text)) return text.size() - tail;
  const size_t n = text.size();
  if (n >= kReplacement.size() && text.substr(n - kReplacement.size()) == kReplacement)
    return n - kReplacement.size();
  return n;
}

}  // namespace

std::string StreamDecoder::step(int64_t id) {
  window_.push_back(id);
  if (tokenizer_.joins_next_token(id)) return {};
  const std::string text = tokenizer_.decode(window_, skip_special_tokens_);
  const size_t settled = window_.size() >= kMaxWindow ? text.size() : settled_length(text);
  std::string out;
  if (settled > emitted_) {
    out = unicode::lossy(std::string_view(text).substr(emitted_, settled - emitted_));
    emitted_ = settled;
  }
  if (settled == text.size()) {
    // Nothing pending: later tokens cannot change this text, so start a new window.
    window_.clear();
    emitted_ = 0;
  }
  return out;
}

std::string StreamDecoder::finish() {
  std::string out;
  if (!window_.empty()) {
    const std::string text = tokenizer_.decode(window_, skip_special_tokens_);
    if (text.size() > emitted_) out = unicode::lossy(std::string_view(text).substr(emitted_));
  }
  window_.clear();
  emitted_ = 0;
  return out;
}

}  // namespace ssa
