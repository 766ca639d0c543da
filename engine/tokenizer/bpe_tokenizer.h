// BpeTokenizer: a Hugging Face tokenizer.json with a BPE model, run as the `tokenizers`
// library runs it (version 0.2x): added tokens first, then the normalizer, the
// pre-tokenizer and BPE for the text between them; the decoder for ids -> text; the
// post-processor's template only when encode() is asked for special tokens.
//
//   text -> AddedVocabulary (raw) -> Normalizer -> AddedVocabulary (normalized)
//        -> PreTokenizer -> BpeModel -> ids [-> PostProcessor]
//   ids  -> vocabulary strings -> Decoder -> text
//
// Truncation and padding settings in the file are not applied (transformers sets its own).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/decoder.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/post_processor.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {

class BpeTokenizer : public Tokenizer {
 public:
  // Reads tokenizer.json text; errors are TokenizerErrors that begin with `origin`.
  static std::unique_ptr<BpeTokenizer> from_json_text(std::string_view json,
                                                      const std::string& origin);
  static std::unique_ptr<BpeTokenizer> from_file(const std::filesystem::path& file);

  std::vector<int64_t> encode(std::string_view text, bool add_special_tokens) const override;
  using Tokenizer::encode;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override;
  using Tokenizer::decode;
  std::string token_text(int64_t id) const override { return decode({id}, false); }
  bool joins_next_token(int64_t id) const override;

  int64_t vocab_size() const override;
  std::optional<int64_t> token_id(std::string_view content) const override;
  bool is_special(int64_t id) const override;
  std::optional<int64_t> bos_id() const override { return bos_; }
  std::optional<int64_t> eos_id() const override { return eos_; }
  std::optional<int64_t> pad_id() const override { return pad_; }
  std::vector<int64_t> add_special_tokens(const std::vector<std::string>& contents) override;

  // The vocabulary string of `id` (an added token's content, or e.g. "Ġthe"), if any.
  const std::string* token_string(int64_t id) const;
  // Set by the loader from tokenizer_config.json / config.json.
  void set_bos(std::optional<int64_t> id) { bos_ = id; }
  void set_eos(std::optional<int64_t> id) { eos_ = id; }
  void set_pad(std::optional<int64_t> id) { pad_ = id; }

 private:
  BpeTokenizer() = default;

  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  BpeModel model_;
  AddedVocabulary added_;
  Decoder decoder_;
  PostProcessor post_processor_;
  std::optional<int64_t> bos_, eos_, pad_;
};

}  // namespace ssa
