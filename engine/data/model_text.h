// ModelText: how a model's text becomes token ids and back -- its tokenizer
// and the special ids that the layout, training batches and generation use.
//
//   byte-level models (assets/models: no tokenizer.json): the ByteTokenizer;
//       BOS 256, EOS 257, PAD 258, the gist of level k is 259 + k
//   Hugging Face checkpoints (tokenizer.json): the checkpoint's tokenizer;
//       BOS / EOS / PAD and the stop ids from its configs (load_checkpoint);
//       the gists are <gist>, <Gist>, <MGist> (ssa-spec.md, "Vocabulary"):
//       found in the tokenizer, or added after its vocabulary as the
//       reference adds them, the embedding and head growing by rows that
//       start as the mean of the pretrained rows (prepare_gist_tokens)
//
// The layout takes the level-0 gist id as LayoutSettings::gist_token_base
// and level k as base + k, so the gist ids in use must be consecutive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/checkpoint.h"
#include "engine/model/decoder.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {

struct ModelText {
  std::shared_ptr<Tokenizer> tokenizer;
  bool byte_level = true;                // the project's byte tokenizer (no tokenizer.json)
  std::string source;                    // "byte tokenizer", or the tokenizer.json it came from
  int64_t bos = -1, eos = -1, pad = -1;  // -1: the model has none
  std::vector<int64_t> stop_ids;         // generation ends after producing one of these
  std::vector<int64_t> gist_ids;         // per gist level in use: ids[k] = ids[0] + k
  // Lines for the user: gist tokens added (and where), found away from the
  // end of the base vocabulary, padding rows cut.
  std::vector<std::string> notes;

  bool is_gist(int64_t id) const;
  // Ids that generation must never produce: BOS, PAD and the gists (gists are
  // placed by the layout, not predicted), stop ids excepted (SmolLM2's PAD is
  // its EOS). Byte-level models: BOS and every id from PAD on, as ever.
  std::vector<int64_t> never_generated(int64_t vocab_size) const;
};

// The shipped models' byte-level text with `levels` gist levels.
ModelText byte_model_text(int levels);

// The text side of checkpoint `dir`, loaded as `model` with `info`
// (load_checkpoint): the byte tokenizer when the directory has no
// tokenizer.json (gist ids byte_gist_base + level: the ssa block's
// gist_token_base, 259 in the shipped models; `model` must hold them), else its
// tokenizer with the gist tokens of `levels` levels found or added (`model`
// resized then). Throws CheckpointError (a bad or unreadable tokenizer, gist
// ids outside the embedding, a model too small for the byte gists) or
// std::invalid_argument (more than the reference's three gist levels,
// non-consecutive gist ids), each one line.
ModelText prepare_model_text(DecoderModel& model, const std::string& dir,
                             const CheckpointInfo& info, int levels, int64_t byte_gist_base = 259);

// The BOS to put before `ids` (a prompt's first tokens): none when the model
// has no BOS or `ids` already starts with it (a chat template that writes it).
std::vector<int64_t> with_bos(const ModelText& text, std::vector<int64_t> ids);

}  // namespace ssa
