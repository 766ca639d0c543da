// Examples -> gist streams -> padded tensors with masks and targets.
#include "engine/train/training_batch.h"

#include <ATen/ATen.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

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

}  // namespace

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
  const ByteTokenizer tokenizer(s.ssa.enabled ? s.ssa.layout.num_levels() : 1);
  TrainingBatch batch;
  batch.token_ids = at::full({B, L}, ByteTokenizer::kPad, at::kLong);
  batch.position_ids = at::arange(L, at::kLong).repeat({B, 1});
  batch.mask = at::eye(L, at::kBool).repeat({B, 1, 1, 1});  // padding sees itself only
  batch.labels = at::full({B, L}, kIgnore, at::kLong);
  batch.loss_weights = at::zeros({B, L}, at::kFloat);
  auto ids = batch.token_ids.accessor<int64_t, 2>();
  auto positions = batch.position_ids.accessor<int64_t, 2>();
  auto labels = batch.labels.accessor<int64_t, 2>();
  auto weights = batch.loss_weights.accessor<float, 2>();

  for (int64_t b = 0; b < B; ++b) {
    const Example& ex = examples[b];
    std::vector<int64_t> raw{ByteTokenizer::kBos};
    for (int64_t t : tokenizer.encode(ex.document)) raw.push_back(t);
    std::vector<int64_t> suffix = tokenizer.encode(ex.prompt + ex.answer);
    if (!ex.answer.empty()) suffix.push_back(ByteTokenizer::kEos);

    std::vector<int64_t> stream;
    std::vector<int64_t> suffix_positions;
    at::Tensor row_mask;
    int64_t answer_chunk = -1;
    if (s.ssa.enabled) {
      auto shared = std::make_shared<GistLayout>(document_layout(s.ssa.layout, raw));
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
      if (ex.answer_begin >= 0)
        answer_chunk = layout.chunk_id(layout.stream_index(1 + ex.answer_begin));
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
      if (tokenizer.is_gist(stream[t + 1])) continue;
      labels[b][t] = stream[t + 1];
      weights[b][t] = 1.0f;
    }
    if (!ex.answer.empty()) {
      // Answer bytes follow the prompt in the suffix; position t predicts t + 1.
      const int64_t first = suffix_positions[ex.prompt.size()];
      AnswerSpan span{b, first - 1, first - 1 + static_cast<int64_t>(ex.answer.size()),
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
