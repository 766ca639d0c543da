// Gist token ids of a Hugging Face model (ssa-spec.md, "Vocabulary").
//
// The reference adds three special tokens after the pretrained vocabulary,
// <gist>, <Gist>, <MGist> (levels 0, 1, 2), with add_special_tokens, resizes
// the embedding to len(tokenizer) with resize_token_embeddings (growing it,
// or cutting a padded embedding such as Qwen2's down to that size) and sets
// the new embedding and output rows to the mean of the pretrained rows. A
// checkpoint whose tokenizer already lists them is used as it is.
//
// prepare_gist_tokens does the same on ids alone, so it needs no tokenizer:
// the caller says how large its tokenizer is and which of the three it has.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/decoder.h"
#include "engine/model/special_tokens.h"

namespace ssa {

// The reference's token texts, by level.
constexpr std::array<const char*, 3> kGistTokenTexts = {"<gist>", "<Gist>", "<MGist>"};
using GistTokenIds = std::array<std::optional<int64_t>, 3>;  // nullopt: the tokenizer lacks it

// The ids a tokenizer.json has for the three gist tokens.
GistTokenIds find_gist_tokens(const TokenizerVocabulary& vocabulary);

struct GistTokens {
  std::array<int64_t, 3> all{};  // ids of <gist>, <Gist>, <MGist>
  std::vector<int64_t> ids;      // per level in use: all[0 .. levels)
  int64_t rows_added = 0;        // rows appended to the embedding (and untied head)
  int64_t rows_removed = 0;      // padding rows cut, as resize_token_embeddings does
  // Lines for the user: tokens found away from the end of the base vocabulary,
  // padding rows removed.
  std::vector<std::string> warnings;
  // ids[k] == ids[0] + k: what LayoutSettings::gist_token_base describes.
  bool consecutive() const;
};

// `levels` (1..3) gist levels in use; `tokenizer_size` is len(tokenizer) as
// it is; `found` the ids it has for the three tokens. Missing tokens get the
// next ids after the tokenizer (in the order above); then the embedding and
// an untied output head are resized to tokenizer_size + missing rows, the new
// rows set to the mean of the base vocabulary's rows (tied heads stay tied).
// Throws CheckpointError if a found id lies outside the embedding or the
// tokenizer is larger than the embedding.
GistTokens prepare_gist_tokens(DecoderModel& model, int levels, int64_t tokenizer_size,
                               const GistTokenIds& found);

}  // namespace ssa
