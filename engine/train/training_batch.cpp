// Examples -> gist streams -> padded tensors with masks and targets.
#include "engine/train/training_batch.h"

#include <ATen/ATen.h>

#include <ATen/Parallel.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "engine/data/example_tokens.h"
#include "engine/decode/task_prompt.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/training_mask.h"
#include "engine/model/message.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa {
namespace {

constexpr int64_t kIgnore = -100;

// Stream length of a document of `raw` raw tokens (BOS included).
int64_t stream_length(const SequenceSettings& s, int64_t raw) {
  if (!s.ssa.enabled) return raw;
  return GistLayout(s.ssa.layout, std::vector<int64_t>(raw, 0)).length();
}

// Without word starts a layout depends only on its settings and the numbers
// of raw and suffix tokens, and so does its training mask: long sequences of
// one source share it, and building a dense mask of 4,000+ positions costs
// more than the step on a GPU. A few masks are kept. Word-aware layouts
// depend on the text too: their roles join the key.
at::Tensor cached_training_mask(const SequenceSettings& s, const GistLayout& layout, int64_t raw,
                                int64_t suffix) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, int, int64_t, int64_t, std::string>, at::Tensor> cache;
  const std::string roles = s.ssa.layout.word_aware
                                ? std::string(layout.roles().begin(), layout.roles().end())
                                : std::string();
  const auto key =
      std::make_tuple(s.ssa.layout.to_json(), s.ssa.previous_chunks, raw, suffix, roles);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  at::Tensor mask = dense_training_mask(layout, MaskSettings{s.ssa.previous_chunks});
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 16) cache.clear();
  cache.emplace(key, mask);
  return mask;
}

// The layout settings of a sequence: the text's gist ids (a tokenizer model's
// <gist>, ...), the settings' own for the byte tokenizer.
LayoutSettings layout_settings(const SequenceSettings& s, const ModelText& text) {
  LayoutSettings layout = s.ssa.layout;
  if (!text.byte_level && !text.gist_ids.empty()) layout.gist_token_base = text.gist_ids[0];
  return layout;
}

// The suffix of an example: prompt + answer + EOS (no EOS without an answer).
std::vector<int64_t> suffix_ids(const ModelText& text, const Example& ex) {
  std::vector<int64_t> suffix = ex.prompt_ids;
  suffix.insert(suffix.end(), ex.answer_ids.begin(), ex.answer_ids.end());
  if (!ex.answer_ids.empty() && text.eos >= 0) suffix.push_back(text.eos);
  return suffix;
}

}  // namespace

std::shared_ptr<const ModelText> sequence_text(const SequenceSettings& s) {
  if (s.text) return s.text;
  const int levels = s.ssa.enabled ? s.ssa.layout.num_levels() : 1;
  auto text = std::make_shared<ModelText>(byte_model_text(levels));
  if (s.ssa.enabled) {
    text->gist_ids.clear();
    for (int level = 0; level < levels; ++level)
      text->gist_ids.push_back(s.ssa.layout.gist_token_base + level);
  }
  return text;
}

int64_t sequence_length(const SequenceSettings& s, const Example& example) {
  const std::shared_ptr<const ModelText> text = sequence_text(s);
  Example ex = example;
  if (!ex.tokenized) tokenize_example(*text, ex);
  const std::vector<int64_t> raw = with_bos(*text, ex.document_ids);
  const int64_t document =
      s.ssa.enabled ? document_layout(layout_settings(s, *text), raw, *text->tokenizer).length()
                    : static_cast<int64_t>(raw.size());
  return document + static_cast<int64_t>(suffix_ids(*text, ex).size());
}

GistLayout example_layout(const SequenceSettings& s, const Example& example) {
  const std::shared_ptr<const ModelText> text = sequence_text(s);
  Example ex = example;
  if (!ex.tokenized) tokenize_example(*text, ex);
  return document_layout(layout_settings(s, *text), with_bos(*text, ex.document_ids),
                         *text->tokenizer);
}

ExampleSizer::ExampleSizer(const DataMix& mix, const SequenceSettings& settings)
    : mix_(mix), settings_(settings), text_(sequence_text(settings)) {}

int64_t ExampleSizer::bytes_for(int64_t suffix_bytes) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = budgets_.find(suffix_bytes);
  if (it == budgets_.end())
    it = budgets_.emplace(suffix_bytes, document_budget(settings_, suffix_bytes)).first;
  return it->second;
}

Example ExampleSizer::sample(Split split, uint64_t step, uint64_t index) const {
  if (text_->byte_level) {
    Example ex =
        mix_.sample(split, step, index, [this](int64_t suffix) { return bytes_for(suffix); });
    tokenize_example(*text_, ex);
    return ex;
  }
  return fit_example(
      [&](int64_t bytes) {
        return mix_.sample(split, step, index, [bytes](int64_t) { return bytes; });
      },
      *text_, settings_.length,
      [this](const Example& ex) { return sequence_length(settings_, ex); });
}

std::vector<Example> ExampleSizer::sample_many(Split split, uint64_t step, uint64_t first,
                                               int64_t count) const {
  std::vector<Example> examples(static_cast<size_t>(count));
  // Each example depends only on its own index: the order of the work does not matter.
  at::parallel_for(0, count, text_->byte_level ? count : 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      examples[i] = sample(split, step, first + static_cast<uint64_t>(i));
  });
  return examples;
}

Example ExampleSizer::sample_source(const std::string& source, Split split, uint64_t step,
                                    uint64_t index, int64_t document_tokens) const {
  if (text_->byte_level) {
    Example ex = mix_.sample_source(source, split, step, index, [&](int64_t suffix) {
      return document_tokens > 0 ? document_tokens : bytes_for(suffix);
    });
    tokenize_example(*text_, ex);
    return ex;
  }
  const auto draw = [&](int64_t bytes) {
    return mix_.sample_source(source, split, step, index, [bytes](int64_t) { return bytes; });
  };
  if (document_tokens > 0)
    return fit_example(draw, *text_, document_tokens, [](const Example& ex) {
      return static_cast<int64_t>(ex.document_ids.size());
    });
  return fit_example(draw, *text_, settings_.length,
                     [this](const Example& ex) { return sequence_length(settings_, ex); });
}

int64_t document_budget(const SequenceSettings& s, int64_t suffix_bytes) {
  // Binary search: the stream length grows with the raw length.
  int64_t lo = 0, hi = s.length;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (stream_length(s, 1 + mid) + suffix_bytes <= s.length)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo <= 0)
    throw std::invalid_argument(
        message("sequence length ", s.length, " leaves no room for a document"));
  return lo;
}

TrainingBatch make_batch(const std::vector<Example>& examples, const SequenceSettings& s,
                         bool full_attention) {
  const int64_t B = static_cast<int64_t>(examples.size()), L = s.length;
  const std::shared_ptr<const ModelText> text = sequence_text(s);
  const LayoutSettings layout_settings_of_batch = layout_settings(s, *text);
  // Padding: the tokenizer's PAD (SmolLM2: its EOS); it is never attended to.
  const int64_t pad = text->pad >= 0 ? text->pad : std::max<int64_t>(0, text->eos);
  TrainingBatch batch;
  batch.token_ids = at::full({B, L}, pad, at::kLong);
  batch.position_ids = at::arange(L, at::kLong).repeat({B, 1});
  batch.mask = at::eye(L, at::kBool).repeat({B, 1, 1, 1});  // padding sees itself only
  batch.labels = at::full({B, L}, kIgnore, at::kLong);
  batch.loss_weights = at::zeros({B, L}, at::kFloat);
  auto ids = batch.token_ids.accessor<int64_t, 2>();
  auto positions = batch.position_ids.accessor<int64_t, 2>();
  auto labels = batch.labels.accessor<int64_t, 2>();
  auto weights = batch.loss_weights.accessor<float, 2>();

  for (int64_t b = 0; b < B; ++b) {
    Example ex = examples[b];
    if (!ex.tokenized) tokenize_example(*text, ex);
    const std::vector<int64_t> raw = with_bos(*text, ex.document_ids);
    const int64_t before = static_cast<int64_t>(raw.size() - ex.document_ids.size());
    const std::vector<int64_t> suffix = suffix_ids(*text, ex);

    std::vector<int64_t> stream;
    std::vector<int64_t> suffix_positions;
    at::Tensor row_mask;
    int64_t answer_chunk = -1;
    if (s.ssa.enabled) {
      auto shared = std::make_shared<GistLayout>(
          document_layout(layout_settings_of_batch, raw, *text->tokenizer));
      GistLayout& layout = *shared;
      for (int64_t t : suffix) suffix_positions.push_back(layout.append(t));
      batch.layouts.push_back(shared);
      stream = layout.token_ids();
      if (stream.size() > static_cast<size_t>(L))
        throw std::invalid_argument(message("example of ", stream.size(), " stream tokens exceeds ",
                                            "the sequence length ", L));
      // RoPE positions as the layout gives them (raw or stream, spec "Position
      // ids"); padding continues from the last one.
      const std::vector<int64_t>& rope = layout.position_ids();
      for (int64_t t = 0; t < L; ++t)
        positions[b][t] = t < layout.length() ? rope[t] : rope.back() + 1 + t - layout.length();
      if (!full_attention)
        row_mask = cached_training_mask(s, layout, static_cast<int64_t>(raw.size()),
                                        static_cast<int64_t>(suffix.size()));
      if (ex.answer_token_begin >= 0)
        answer_chunk = layout.chunk_id(layout.stream_index(before + ex.answer_token_begin));
    } else {
      stream = raw;
      for (int64_t t : suffix) {
        suffix_positions.push_back(static_cast<int64_t>(stream.size()));
        stream.push_back(t);
      }
      if (stream.size() > static_cast<size_t>(L))
        throw std::invalid_argument(
            message("example of ", stream.size(), " tokens exceeds ", "the sequence length ", L));
    }
    const int64_t n = static_cast<int64_t>(stream.size());
    if (!row_mask.defined()) row_mask = at::ones({n, n}, at::kBool).tril();
    batch.mask[b][0].narrow(0, 0, n).narrow(1, 0, n).copy_(row_mask);
    batch.real_tokens += n;

    for (int64_t t = 0; t < n; ++t) ids[b][t] = stream[t];
    for (int64_t t = 0; t + 1 < n; ++t) {
      if (text->is_gist(stream[t + 1])) continue;
      labels[b][t] = stream[t + 1];
      weights[b][t] = 1.0f;
    }
    if (!ex.answer_ids.empty()) {
      // Answer tokens follow the prompt in the suffix; position t predicts t + 1.
      const int64_t first = suffix_positions[ex.prompt_ids.size()];
      AnswerSpan span{b, first - 1, first - 1 + static_cast<int64_t>(ex.answer_ids.size()),
                      answer_chunk, ex.kind};
      for (int64_t t = span.begin; t < span.end; ++t)
        weights[b][t] = static_cast<float>(s.answer_weight);
      if (s.answer_first_weight > 0)
        weights[b][span.begin] = static_cast<float>(s.answer_first_weight);
      batch.answers.push_back(span);
    }
  }
  return batch;
}

}  // namespace ssa
