// A prompt laid out as training lays out a sequence (engine/train/
// training_batch.h): [BOS] + the document with gists, then the question
// appended uncompressed as the suffix. Shared by `record`, `generate` and the
// trainer's decoding evaluation, so the three decode the same streams.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/tasks.h"
#include "engine/layout/gist_layout.h"

namespace ssa {

GistLayout prompt_layout(const LayoutSettings& settings, const std::string& document,
                         const std::string& suffix);

// Byte tokens `raw` ([BOS] + document) laid out as the compressed document,
// word-aware when settings.word_aware (a byte token's text is its byte).
GistLayout document_layout(const LayoutSettings& settings, const std::vector<int64_t>& raw);

// The level-0 chunk holding the example's answer in prompt_layout(settings,
// example.document, example.prompt), or -1: no answer, or it sits in the sink
// (every query sees the sink without unfolding).
int64_t answer_chunk(const GistLayout& layout, const Example& example);

}  // namespace ssa
