// The special token ids of a Hugging Face checkpoint directory, read from
// the files beside config.json, without tokenizing anything:
//
//   generation_config.json  eos_token_id: one id or several (generation stops
//                           on any of them); bos_token_id, pad_token_id
//   tokenizer_config.json   bos_token / eos_token / pad_token: a string (or an
//                           {"content": ...} object) resolved to its id
//                           through tokenizer.json (added_tokens, then the
//                           model's vocab) or added_tokens_decoder
//   tokenizer.json          the tokenizer's size (len(tokenizer)) and its
//                           added tokens, e.g. the gist tokens <gist>, <Gist>, <MGist>
//
// Every file is optional; a file that is present but malformed, or names a
// token it cannot resolve, is a CheckpointError naming the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssa {

// What tokenizer.json says about ids (the tokenizer itself is engine/tokenizer's).
struct TokenizerVocabulary {
  bool present = false;  // false: the directory has no tokenizer.json
  // len(tokenizer): one past the highest id of the model's vocab and the added tokens.
  int64_t size = 0;
  std::map<std::string, int64_t> added;  // added_tokens: content -> id
  std::map<std::string, int64_t> vocab;  // model.vocab (BPE / WordLevel): token -> id
  // The id of `text`: an added token, else a vocab entry.
  std::optional<int64_t> find(const std::string& text) const;
};
// Reads <path> (tokenizer.json); a missing file gives present = false.
TokenizerVocabulary load_tokenizer_vocabulary(const std::string& path);

struct SpecialTokens {
  int64_t bos = -1;  // the tokenizer's bos (tokenizer_config), else generation / model config
  int64_t eos = -1;  // the tokenizer's eos, else the first stop id
  int64_t pad = -1;
  std::vector<int64_t> stop;  // generation_config.json eos_token_id(s), else config.json's
};

// Reads the special tokens of checkpoint directory `dir`. `config_*` are
// config.json's values (the fall-backs); `vocabulary` is the directory's
// tokenizer.json (for resolving token strings).
SpecialTokens load_special_tokens(const std::string& dir, int64_t config_bos,
                                  const std::vector<int64_t>& config_eos, int64_t config_pad,
                                  const TokenizerVocabulary& vocabulary);

}  // namespace ssa
