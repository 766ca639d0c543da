// StreamDecoder: decodes generated ids one at a time for printing. It never hands out part
// of a UTF-8 character: text waits while its last character may still change (an
// unfinished byte sequence, a U+FFFD that more bytes could complete, a byte-fallback token),
// and the pieces concatenate to decode(all ids) -- exactly, whenever that is valid UTF-8
// (always for BpeTokenizer; the byte tokenizer's invalid bytes come out as U+FFFD, as
// String::from_utf8_lossy writes them). Each step decodes only the ids since the last
// character boundary, and none while a byte-fallback run is open; 1024 ids without a
// boundary (only a stream of broken bytes makes that) are written out as they stand.
//
//   StreamDecoder stream(tokenizer);
//   for (int64_t id : generated) std::cout << stream.step(id) << std::flush;
//   std::cout << stream.finish();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace ssa {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false)
      : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {}

  // The text that `id` completes (often empty while a character is unfinished).
  std::string step(int64_t id);
  // Whatever is still held back (an unfinished character comes out as U+FFFD).
  std::string finish();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_tokens_;
  // Ids since the last clean boundary, and how many bytes of their text are out already.
  std::vector<int64_t> window_;
  size_t emitted_ = 0;
};

}  // namespace ssa
