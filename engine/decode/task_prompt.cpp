#include "engine/decode/task_prompt.h"

#include "engine/layout/word_starts.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa {

GistLayout document_layout(const LayoutSettings& settings, const std::vector<int64_t>& raw) {
  if (!settings.word_aware) return GistLayout(settings, raw);
  const ByteTokenizer tokenizer(settings.num_levels());
  return GistLayout(settings, raw,
                    word_starts(raw, [&](int64_t id) { return tokenizer.token_text(id); }));
}

GistLayout prompt_layout(const LayoutSettings& settings, const std::string& document,
                         const std::string& suffix) {
  const ByteTokenizer tokenizer(settings.num_levels());
  std::vector<int64_t> raw{ByteTokenizer::kBos};
  for (int64_t id : tokenizer.encode(document)) raw.push_back(id);
  GistLayout layout = document_layout(settings, raw);
  for (int64_t id : tokenizer.encode(suffix)) layout.append(id);
  return layout;
}

int64_t answer_chunk(const GistLayout& layout, const Example& example) {
  if (example.answer_begin < 0) return -1;
  const int64_t stream = layout.stream_index(1 + example.answer_begin);  // 1: after BOS
  return stream >= layout.sink_length() ? layout.chunk_id(stream) : -1;
}

}  // namespace ssa
