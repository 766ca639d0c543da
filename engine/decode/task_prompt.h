// A prompt laid out as training lays out a sequence (engine/train/
// training_batch.h): [BOS] + the document with gists, then the question
// appended uncompressed as the suffix. Shared by `record`, `generate` and the
// trainer's decoding evaluation, so the three decode the same streams.
//
// Word-aware layouts (settings.word_aware) take each raw token's text from
// the model's tokenizer: what it decodes for that token alone (the byte
// tokenizer: its byte).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/model_text.h"
#include "engine/data/tasks.h"
#include "engine/layout/gist_layout.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"

namespace ssa {

// Raw tokens `raw` ([BOS] + document) laid out as the compressed document.
GistLayout document_layout(const LayoutSettings& settings, const std::vector<int64_t>& raw,
                           const Tokenizer& tokenizer);
// The same with the byte tokenizer (the shipped models).
GistLayout document_layout(const LayoutSettings& settings, const std::vector<int64_t>& raw);

// [BOS] + `document` laid out (with_bos: no second BOS), then `suffix` appended.
GistLayout prompt_layout(const LayoutSettings& settings, const ModelText& text,
                         const std::vector<int64_t>& document, const std::vector<int64_t>& suffix);
// A tokenized example's prompt: its document, then its prompt as the suffix.
GistLayout prompt_layout(const LayoutSettings& settings, const ModelText& text,
                         const Example& example);
// Byte texts with the byte tokenizer (the shipped models).
GistLayout prompt_layout(const LayoutSettings& settings, const std::string& document,
                         const std::string& suffix);

// The level-0 chunk holding the example's answer in its prompt layout, or -1:
// no answer, or it sits in the sink (every query sees the sink without
// unfolding). The chunk of the answer's first raw token (its first byte for
// an example not tokenized: the byte tokenizer).
int64_t answer_chunk(const GistLayout& layout, const ModelText& text, const Example& example);
int64_t answer_chunk(const GistLayout& layout, const Example& example);

// A prompt in a chat template (`--chat`): document + question is the user's
// message of a one-turn conversation with the assistant's turn opened. The
// rendered text up to the question -- the template's head (system prompt,
// user header) and the document -- is the compressed document; the question
// and the template's end (the assistant's header) are the uncompressed
// suffix, so the model reads its cue to answer in full.
struct ChatPrompt {
  std::string document;    // template head + document
  std::string suffix;      // question + template end
  int64_t head_bytes = 0;  // bytes of `document` before the caller's document
};
// Throws TokenizerError when the rendered text does not hold the message as
// given (a template that rewrites more than the ends of a message).
ChatPrompt chat_prompt(const ChatTemplate& chat, const std::string& document,
                       const std::string& question);

}  // namespace ssa
