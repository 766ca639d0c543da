#include "engine/decode/task_prompt.h"

#include "engine/layout/word_starts.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa {

GistLayout document_layout(const LayoutSettings& settings, const std::vector<int64_t>& raw,
                           const Tokenizer& tokenizer) {
  if (!settings.word_aware) return GistLayout(settings, raw);
  return GistLayout(settings, raw,
                    word_starts(raw, [&](int64_t id) { return tokenizer.token_text(id); }));
}

GistLayout document_layout(const LayoutSettings& settings, const std::vector<int64_t>& raw) {
  return document_layout(settings, raw, ByteTokenizer(settings.num_levels()));
}

GistLayout prompt_layout(const LayoutSettings& settings, const ModelText& text,
                         const std::vector<int64_t>& document, const std::vector<int64_t>& suffix) {
  GistLayout layout = document_layout(settings, with_bos(text, document), *text.tokenizer);
  for (int64_t id : suffix) layout.append(id);
  return layout;
}

GistLayout prompt_layout(const LayoutSettings& settings, const ModelText& text,
                         const Example& example) {
  return prompt_layout(settings, text, example.document_ids, example.prompt_ids);
}

GistLayout prompt_layout(const LayoutSettings& settings, const std::string& document,
                         const std::string& suffix) {
  const ModelText text = byte_model_text(settings.num_levels());
  return prompt_layout(settings, text, text.tokenizer->encode(document),
                       text.tokenizer->encode(suffix));
}

int64_t answer_chunk(const GistLayout& layout, const ModelText& text, const Example& example) {
  const int64_t begin = example.tokenized ? example.answer_token_begin : example.answer_begin;
  if (begin < 0) return -1;
  // The raw tokens before the document's: its BOS, when with_bos put one there.
  const int64_t before = example.tokenized
                             ? static_cast<int64_t>(with_bos(text, example.document_ids).size() -
                                                    example.document_ids.size())
                             : 1;
  const int64_t stream = layout.stream_index(before + begin);
  return stream >= layout.sink_length() ? layout.chunk_id(stream) : -1;
}

ChatPrompt chat_prompt(const ChatTemplate& chat, const std::string& document,
                       const std::string& question) {
  // The template around a message: render a marker and cut there.
  const std::string marker = "\x01ssa-message\x01";
  const std::string framed = chat.render(marker);
  const size_t at = framed.find(marker);
  const std::string head = framed.substr(0, at), tail = framed.substr(at + marker.size());
  // The message as the template writes it (Llama 3 trims its ends).
  const std::string rendered = chat.render(document + question);
  if (rendered.size() < head.size() + tail.size() || rendered.compare(0, head.size(), head) != 0 ||
      rendered.compare(rendered.size() - tail.size(), tail.size(), tail) != 0)
    throw TokenizerError("the chat template does not frame the message as head + message + end");
  const std::string message =
      rendered.substr(head.size(), rendered.size() - head.size() - tail.size());
  // Where the question starts in it (trimmed at its end by the template, perhaps).
  size_t cut = message.size();
  if (!question.empty()) {
    const size_t last = question.find_last_not_of(" \t\n\r");
    const std::string kept = last == std::string::npos ? "" : question.substr(0, last + 1);
    if (!kept.empty() && message.size() >= kept.size() &&
        message.compare(message.size() - kept.size(), kept.size(), kept) == 0)
      cut = message.size() - kept.size();
    else
      throw TokenizerError("the chat template changed the question");
  }
  ChatPrompt p;
  p.document = head + message.substr(0, cut);
  p.suffix = message.substr(cut) + tail;
  // The document's own bytes begin after the head, less what the template trimmed.
  p.head_bytes = static_cast<int64_t>(head.size());
  const size_t lead = document.find_first_not_of(" \t\n\r");
  if (lead != std::string::npos && message.compare(0, document.size(), document) != 0)
    p.head_bytes -= static_cast<int64_t>(lead);
  return p;
}

int64_t answer_chunk(const GistLayout& layout, const Example& example) {
  return answer_chunk(layout, byte_model_text(layout.num_levels()), example);
}

}  // namespace ssa
