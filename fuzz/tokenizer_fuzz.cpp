// libFuzzer target: bytes as a tokenizer.json, then as text through it. The
// input is the JSON, optionally followed by a NUL byte and a text to encode
// (so the fuzzer mutates both the file and what it tokenizes). Loading,
// encoding and decoding may refuse with TokenizerError (a std::runtime_error);
// anything else -- a crash, a sanitizer report, another exception -- is a bug.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/stream_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view json = input.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  std::unique_ptr<ssa::BpeTokenizer> tokenizer;
  try {
    tokenizer = ssa::BpeTokenizer::from_json_text(json, "tokenizer.json");
  } catch (const std::runtime_error&) {
    return 0;
  }
  try {
    const std::vector<int64_t> ids = tokenizer->encode(std::string(text));
    (void)tokenizer->decode(ids);
    ssa::StreamDecoder stream(*tokenizer);
    for (int64_t id : ids) (void)stream.step(id);
    (void)stream.finish();
  } catch (const std::runtime_error&) {
  }
  // The text's bytes as ids too: decoding ids the tokenizer never made.
  try {
    std::vector<int64_t> ids;
    for (unsigned char c : text) ids.push_back(static_cast<int64_t>(c) * 3 - 7);
    (void)tokenizer->decode(ids, true);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
