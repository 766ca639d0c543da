// The special token ids of a Hugging Face checkpoint directory, read from
// the files beside config.json, without tokenizing anything:
//
//   generation_config.json  eos_token_id: one id or several (generation stops
//                           on any of them); bos_token_id, pad_token_id
//   tokenizer_config.json   bos_token / eos_token / pad_token: a string (or an
//                           {"content": ...} object) resolved to its id
//                           through the directory's tokenizer (engine/tokenizer:
//                           its added tokens, then its vocabulary) or
//                           added_tokens_decoder
//
// Every file is optional; a file that is present but malformed, or names a
// token it cannot resolve, is a CheckpointError naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace ssa {

struct SpecialTokens {
  int64_t bos = -1;  // the tokenizer's bos (tokenizer_config), else generation / model config
  int64_t eos = -1;  // the tokenizer's eos, else the first stop id
  int64_t pad = -1;
  std::vector<int64_t> stop;  // generation_config.json eos_token_id(s), else config.json's
};

// Reads the special tokens of checkpoint directory `dir`. `config_*` are
// config.json's values (the fall-backs); `tokenizer` is the directory's
// tokenizer.json (for resolving token strings), null when it has none.
// `tokenizer_unreadable`: tokenizer.json is there but engine/tokenizer cannot
// read it; tokenizer_config.json's strings are then left unresolved.
SpecialTokens load_special_tokens(const std::string& dir, int64_t config_bos,
                                  const std::vector<int64_t>& config_eos, int64_t config_pad,
                                  const Tokenizer* tokenizer, bool tokenizer_unreadable = false);

}  // namespace ssa
