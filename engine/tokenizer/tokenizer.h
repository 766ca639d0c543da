// Tokenizer: the one interface the engine uses to turn text into token ids and back.
//
// Two implementations:
//   ByteTokenizer (byte_tokenizer.h)  the project's own models: 256 bytes, BOS/EOS/PAD, gists.
//   BpeTokenizer  (bpe_tokenizer.h)   Hugging Face checkpoints: a byte-level BPE read from
//                                     tokenizer.json, encoding exactly as the `tokenizers`
//                                     library does (SmolLM2, Llama 3, Qwen2).
// load_tokenizer(model_dir) picks the right one for a model folder.
//
// Ids are int64_t, as LibTorch stores them. A Tokenizer is safe to use from several threads
// at once for everything but add_special_tokens(), which changes it.
//
// Errors a user can cause (a broken tokenizer.json, an unsupported model type, text that is
// not UTF-8) are thrown as TokenizerError with one line saying what and where.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ssa {

// A bad tokenizer file or bad text: the message is one line naming the file or byte offset.
struct TokenizerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // [SECTION] Text -> ids
  // The ids of `text`. Special and added tokens written in the text (e.g. "<|im_end|>") are
  // recognised as the tokenizer defines (the byte tokenizer reads every byte as itself).
  // With add_special_tokens, the tokenizer's own template is applied as well (for Llama 3:
  // BOS first); without it (the default) nothing is added. Throws TokenizerError when a
  // tokenizer needs UTF-8 and `text` is not (the message gives the byte offset).
  virtual std::vector<int64_t> encode(std::string_view text, bool add_special_tokens) const = 0;
  std::vector<int64_t> encode(std::string_view text) const { return encode(text, false); }

  // [SECTION] Ids -> text
  // The text of `ids`; special tokens are written out unless skip_special_tokens. Ids
  // outside the vocabulary are left out (BPE, as Hugging Face does) or shown as <unkN>
  // (byte tokenizer). For streaming output see StreamDecoder (stream_decoder.h).
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const = 0;
  std::string decode(const std::vector<int64_t>& ids) const { return decode(ids, false); }
  // What one token reads as: decode({id}). This is the piece shown in views and the one the
  // word-aware gist layout inspects ("begins with a space?"). A token that holds part of a
  // UTF-8 character reads as U+FFFD in a BPE tokenizer (as in Hugging Face), as its raw byte
  // in the byte tokenizer.
  virtual std::string token_text(int64_t id) const = 0;
  // True when the text of `id` depends on the tokens after it, beyond completing a UTF-8
  // character (byte-fallback tokens such as <0xE2>): StreamDecoder waits for the next one.
  virtual bool joins_next_token(int64_t /*id*/) const { return false; }

  // [SECTION] Vocabulary
  // One more than the highest id in use: the number of embedding rows a model needs.
  virtual int64_t vocab_size() const = 0;
  // The id of the token whose content is exactly `content` (special and added tokens such
  // as "<|im_start|>" or "<gist>", and ordinary vocabulary entries), if there is one.
  virtual std::optional<int64_t> token_id(std::string_view content) const = 0;
  // Whether `id` is a special token (BOS, EOS, chat markers, gists, ...).
  virtual bool is_special(int64_t id) const = 0;
  // BOS / EOS / padding ids when the tokenizer (or its model's config) names them.
  virtual std::optional<int64_t> bos_id() const = 0;
  virtual std::optional<int64_t> eos_id() const = 0;
  virtual std::optional<int64_t> pad_id() const = 0;

  // Adds special tokens after the vocabulary, as transformers'
  // add_special_tokens({"additional_special_tokens": contents}) does: a content the
  // tokenizer already has keeps its id; a new one gets the next id (the SSA reference adds
  // <gist>, <Gist>, <MGist> this way: 49152.. on SmolLM2, 128256.. on Llama 3). From then on
  // encode() recognises them in text (BPE) and decode() writes them out. Returns the id of
  // each content, in order. Not thread-safe: call it before sharing the tokenizer.
  virtual std::vector<int64_t> add_special_tokens(const std::vector<std::string>& contents) = 0;
};

// The tokenizer of a model folder: its tokenizer.json when there is one (BpeTokenizer, with
// BOS/EOS/PAD from tokenizer_config.json or config.json), else the byte tokenizer of the
// project's own models, whose config.json has vocab_size = 256 + 3 + number of gist levels.
// Throws TokenizerError when neither fits (the message names the file).
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);
// A tokenizer.json file on its own (tokenizer_config.json / config.json beside it are read
// for BOS/EOS/PAD when present).
std::unique_ptr<Tokenizer> load_tokenizer_json(const std::filesystem::path& tokenizer_json);

}  // namespace ssa
