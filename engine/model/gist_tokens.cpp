// Gist token ids and the reference's resize + mean initialisation.
#include "engine/model/gist_tokens.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "engine/model/checkpoint_error.h"
#include "engine/model/message.h"

namespace ssa {

GistTokenIds find_gist_tokens(const TokenizerVocabulary& vocabulary) {
  GistTokenIds ids;
  for (size_t k = 0; k < kGistTokenTexts.size(); ++k) {
    auto it = vocabulary.added.find(kGistTokenTexts[k]);
    if (it != vocabulary.added.end()) ids[k] = it->second;
  }
  return ids;
}

bool GistTokens::consecutive() const {
  for (size_t k = 1; k < ids.size(); ++k)
    if (ids[k] != ids[0] + static_cast<int64_t>(k)) return false;
  return true;
}

GistTokens prepare_gist_tokens(DecoderModel& model, int levels, int64_t tokenizer_size,
                               const GistTokenIds& found) {
  if (levels < 1 || levels > static_cast<int>(kGistTokenTexts.size()))
    throw std::invalid_argument(message(
        "prepare_gist_tokens: levels must be 1..3 (the reference has three gist tokens), got ",
        levels));
  ModelConfig& config = model.mutable_config();
  const int64_t rows = config.vocab_size;
  if (tokenizer_size > rows)
    throw CheckpointError(message("the tokenizer has ", tokenizer_size,
                                  " tokens but the embedding has ", rows, " rows"));
  int64_t found_count = 0;
  for (const auto& id : found) found_count += id.has_value();
  const int64_t base = tokenizer_size - found_count;  // the pretrained vocabulary
  if (base < 1) throw CheckpointError("the tokenizer has no tokens besides the gist tokens");

  GistTokens g;
  int64_t next = tokenizer_size;  // add_special_tokens appends the missing ones
  std::string displaced;
  for (size_t k = 0; k < kGistTokenTexts.size(); ++k) {
    if (!found[k]) {
      g.all[k] = next++;
      continue;
    }
    const int64_t id = *found[k];
    if (id < 0 || id >= rows)
      throw CheckpointError(message("the tokenizer's ", kGistTokenTexts[k], " is id ", id,
                                    ", outside the embedding (", rows, " rows)"));
    g.all[k] = id;
    if (id != base + static_cast<int64_t>(k))
      displaced += message(displaced.empty() ? "" : ", ", kGistTokenTexts[k], " is id ", id);
  }
  if (!displaced.empty())
    g.warnings.push_back(message("gist tokens not right after the base vocabulary (", base,
                                 " tokens, so expected ids ", base, "..", base + 2,
                                 "): ", displaced));

  if (next > tokenizer_size) {
    const int64_t size = next;  // resize_token_embeddings(len(tokenizer))
    for (const char* name : {"model.embed_tokens.weight", "lm_head.weight"}) {
      auto it = model.mutable_weights().find(name);
      if (it == model.mutable_weights().end()) continue;  // tied head: shares the embedding
      const at::Tensor old_rows = it->second.detach();
      const at::Tensor mean =
          old_rows.narrow(0, 0, base).to(at::kFloat).mean(0).to(old_rows.scalar_type());
      // The tokenizer's rows stay; the gist rows (appended, or padding rows
      // re-used) start as the mean; padding beyond them goes.
      at::Tensor resized = at::empty({size, old_rows.size(1)}, old_rows.options());
      resized.narrow(0, 0, tokenizer_size).copy_(old_rows.narrow(0, 0, tokenizer_size));
      resized.narrow(0, tokenizer_size, size - tokenizer_size)
          .copy_(mean.unsqueeze(0).expand({size - tokenizer_size, old_rows.size(1)}));
      it->second = resized.set_requires_grad(it->second.requires_grad());
    }
    g.rows_added = std::max<int64_t>(0, size - rows);
    g.rows_removed = std::max<int64_t>(0, rows - size);
    if (g.rows_removed > 0)
      g.warnings.push_back(message("the embedding had ", rows, " rows for a tokenizer of ",
                                   tokenizer_size, " tokens: cut to ", size,
                                   " (tokenizer + gist tokens), as resize_token_embeddings does"));
    config.vocab_size = size;
  }
  g.ids.assign(g.all.begin(), g.all.begin() + levels);
  return g;
}

}  // namespace ssa
