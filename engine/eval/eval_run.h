// One example of an evaluation: the task drawn, its prompt laid out as
// `ssa-workbench record` lays it out, the answer decoded greedily under one
// configuration (SSA or a baseline: DecodeSettings), and every step's numbers
// kept for eval_metrics.h. Example i of (task, context, seed) is the same for
// every method, k and levels, so that their rows compare the same prompts.
#pragma once

#include <cstdint>
#include <string>

#include "engine/data/model_text.h"
#include "engine/data/tasks.h"
#include "engine/data/text_corpus.h"
#include "engine/decode/decode_session.h"
#include "engine/eval/eval_metrics.h"
#include "engine/layout/gist_layout.h"
#include "engine/model/decoder.h"
#include "engine/trace/observer.h"

namespace ssa::eval {

// "passkey", "kv" (make_multikey), "multidoc" (its distractor text from
// `filler`, held-out split), tokenized with the model's text: a document of
// `context` bytes for the byte tokenizer, of `context` tokens (as nearly as
// fit_example gets) for a model's tokenizer. Throws std::invalid_argument
// for another name or a context the task cannot fill.
Example draw_example(const std::string& task, int64_t context, uint64_t seed, int64_t index,
                     const TextCorpus& filler, const ModelText& text);

// The prompt and the level-0 chunk holding the answer (-1: none, or in the sink).
struct EvalPrompt {
  GistLayout layout;
  int64_t answer_chunk = -1;
};
EvalPrompt eval_prompt(const LayoutSettings& layout, const ModelText& text, const Example& example);

// Decodes as many tokens as the answer has, with the model's stop and banned
// ids (the byte-level models: as ever, EOS stops). `observer` (a recorder; may be
// null) sees what `record` reports: the prompt's layout and block mask, every
// step's scores and selections, the decode steps, and the layout again with
// the generated tokens.
ExampleOutcome decode_example(const DecoderModel& model, const ModelText& text,
                              const EvalPrompt& prompt, const DecodeSettings& settings,
                              const Example& example, trace::Observer* observer);

}  // namespace ssa::eval
