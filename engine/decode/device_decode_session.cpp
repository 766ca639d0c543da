#include "engine/decode/device_decode_session.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "engine/decode/budget.h"
#include "engine/decode/visible_set.h"

#if defined(SSA_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>

#include "engine/decode/block_sparse_prefill.h"
#include "engine/decode/device_decoder.h"
#include "engine/mask/block_mask.h"
#include "engine/mask/training_mask.h"
#include "engine/model/masked_attention.h"
#endif

namespace ssa {

std::string device_decode_unsupported(const DecoderModel& model, const GistLayout& layout,
                                      const DecodeSettings& settings) {
#if !defined(SSA_WITH_CUDA)
  (void)model, (void)layout, (void)settings;
  return "built without CUDA kernels";
#else
  const ModelConfig& c = model.config();
  if (!model.device().is_cuda()) return "the model is not on a CUDA device";
  if (settings.baseline == Baseline::kOracle || settings.baseline == Baseline::kRecency)
    return "the oracle and recency baselines rank by full attention on the host";
  if (settings.shadow_full) return "the full-attention shadow runs on the host";
  if (c.head_dim != 64 && c.head_dim != 128) return "head_dim must be 64 or 128";
  if (c.num_attention_heads % c.num_key_value_heads != 0 || c.kv_groups() > kernels::kMaxGroupSize)
    return "at most 16 query heads per KV head";
  if (layout.num_levels() > kernels::kMaxLevels) return "at most 6 gist levels";
  if (settings.mask.previous_chunks > 8) return "at most 8 previous chunks";
  return "";
#endif
}

std::unique_ptr<DecodeSession> make_decode_session(const DecoderModel& model, GistLayout layout,
                                                   DecodeSettings settings,
                                                   trace::Observer* observer,
                                                   DeviceDecodeOptions options) {
  const char* path = std::getenv("SSA_DECODE_PATH");
  const std::string choice = path ? path : "auto";
  const std::string why = device_decode_unsupported(model, layout, settings);
  if (choice == "device" && !why.empty())
    throw std::invalid_argument("SSA_DECODE_PATH=device: " + why);
#if defined(SSA_WITH_CUDA)
  // SSA_KERNEL_VERSION=1: the plain kernels (should the tensor-core ones misbehave on a GPU).
  const char* version = std::getenv("SSA_KERNEL_VERSION");
  if (version && std::string(version) == "1") options.version = 1;
  if (choice != "reference" && why.empty())
    return std::make_unique<DeviceDecodeSession>(model, std::move(layout), settings, observer,
                                                 options);
#else
  (void)options;
#endif
  return std::make_unique<DecodeSession>(model, std::move(layout), settings, observer);
}

#if defined(SSA_WITH_CUDA)

namespace {

// Capacities for the prompt plus `extra` stream positions of generation.
DeviceDecodeShape session_shape(const ModelConfig& c, const GistLayout& layout, int64_t extra) {
  DeviceDecodeShape s;
  s.batch = 1;
  s.heads = c.num_attention_heads;
  s.kv_heads = c.num_key_value_heads;
  s.head_dim = c.head_dim;
  const LayoutSettings& l = layout.settings();
  for (int g : l.group_sizes) s.group_sizes.push_back(g);
  s.kv_capacity = layout.length() + extra;
  const GistHierarchy h(layout);
  int64_t per_gist = l.chunk;  // stream positions per gist of the level, at least
  for (int level = 0; level < layout.num_levels(); ++level) {
    s.gist_capacity.push_back(h.count(level) + extra / per_gist + 2);
    if (level < static_cast<int>(l.group_sizes.size())) per_gist *= l.group_sizes[level];
  }
  s.max_chunk = l.chunk + l.chunk / 2 + 1;
  for (int64_t j = 0; j < h.count(0); ++j)
    s.max_chunk = std::max(s.max_chunk, h.chunk_end(j) - h.chunk_begin(j));
  return s;
}

}  // namespace

DeviceDecodeSession::DeviceDecodeSession(const DecoderModel& model, GistLayout layout,
                                         DecodeSettings settings, trace::Observer* observer,
                                         DeviceDecodeOptions options)
    : DecodeSession(model, layout, settings, observer),
      model_(model),
      layout_(std::move(layout)),
      hierarchy_(layout_),
      settings_(settings),
      options_(options),
      observer_(observer) {
  const std::string why = device_decode_unsupported(model, layout_, settings);
  if (!why.empty()) throw std::invalid_argument("GPU decode: " + why);
  const ModelConfig& c = model.config();
  DeviceDecoderSettings d;
  d.selection.mode = settings.mode;
  d.selection.quarter_cap = settings.selection.quarter_cap;
  d.selection.top_p = settings.selection.top_p;
  d.selection.version = options.version;
  d.selection.overlap_launches = options.overlap_launches;
  d.selection.record_scores = observer != nullptr;
  const DeviceDecodeShape shape = session_shape(c, layout_, options.extra_positions);
  // Room for the largest k any position can take: the auto and reference
  // budgets grow with the key length, so the cache's capacity bounds them.
  const SelectionSettings widest =
      budget_selection(settings.budget, settings.selection, shape.kv_capacity, layout_.settings(),
                       static_cast<int>(c.kv_groups()));
  d.selection.k_max = 0;
  for (int level_k : level_budgets(widest, layout_.num_levels()))
    d.selection.k_max = std::max(d.selection.k_max, level_k);
  d.attention = settings.baseline == Baseline::kFull       ? DeviceAttentionKind::kFullFlash
                : settings.baseline == Baseline::kGistOnly ? DeviceAttentionKind::kTrainingRow
                                                           : DeviceAttentionKind::kSelective;
  // As DecodeSession: full attention reads every key at every layer.
  d.dense_layers = settings.baseline == Baseline::kFull ? 0 : settings.dense_layers;
  d.use_graph = options.use_graph;
  d.fused_ops = options.fused_ops;
  decoder_ = std::make_unique<DeviceDecoder>(model, shape, d);
}

DeviceDecodeSession::~DeviceDecodeSession() = default;

bool DeviceDecodeSession::graphed() const {
  return decoder_->graphed();
}

bool DeviceDecodeSession::fused() const {
  return decoder_->fused();
}

void DeviceDecodeSession::index_gists(int64_t end) {
  hierarchy_ = GistHierarchy(layout_, end);
  decoder_->attention().set_hierarchy(0, hierarchy_, at::cuda::getCurrentCUDAStream().stream());
}

at::Tensor DeviceDecodeSession::prefill() {
  const int64_t prefix = layout_.prefix_length();
  const c10::Device device = model_.device();
  const at::TensorOptions longs = at::TensorOptions(at::kLong).device(device);
  std::vector<at::Tensor> logits;
  std::vector<DeviceLayerCache>& caches = decoder_->caches();
  if (prefix > 0) {
    // As DecodeSession::prefill: the prefix under the training mask, its
    // keys and values kept (in bf16) for the steps.
    const bool sparse = settings_.prefill == PrefillMode::kBlocks ||
                        (settings_.prefill == PrefillMode::kAuto && prefix > kMaxDenseMaskLength);
    if (settings_.prefill == PrefillMode::kDense && prefix > kMaxDenseMaskLength)
      throw std::invalid_argument("a dense prefill mask is limited to " +
                                  std::to_string(kMaxDenseMaskLength) + " positions");
    const at::Tensor m =
        sparse ? at::Tensor() : dense_training_mask(layout_, settings_.mask, prefix).to(device);
    const BlockSparsePlan plan =
        sparse ? plan_block_sparse(layout_, build_block_mask(layout_, settings_.mask, 128), prefix,
                                   device)
               : BlockSparsePlan{};
    const std::vector<int64_t> ids(layout_.token_ids().begin(),
                                   layout_.token_ids().begin() + prefix);
    const std::vector<int64_t> pos(layout_.position_ids().begin(),
                                   layout_.position_ids().begin() + prefix);
    logits.push_back(model_.forward_with(
        at::tensor(ids, longs).unsqueeze(0), at::tensor(pos, longs).unsqueeze(0),
        [&](int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
          caches[layer].keys.narrow(2, 0, prefix).copy_(k);
          caches[layer].values.narrow(2, 0, prefix).copy_(v);
          return sparse ? block_sparse_attention(q, k, v, plan) : masked_attention(q, k, v, m);
        })[0]);
  }
  index_gists(prefix);
  // Each level's gist keys, contiguous (the selection scores only these).
  for (int level = 0; level < hierarchy_.num_levels(); ++level) {
    const int64_t n = hierarchy_.count(level);
    if (n == 0) continue;
    const at::Tensor index = at::tensor(hierarchy_.gists(level), longs);
    for (DeviceLayerCache& cache : caches)
      cache.gist_keys[level].narrow(2, 0, n).copy_(cache.keys.index_select(2, index));
  }
  for (int64_t pos = prefix; pos < layout_.length(); ++pos) {
    logits.push_back(compute(pos, layout_.length(), pos + 1 == layout_.length()).unsqueeze(0));
  }
  if (prefix == layout_.length()) {
    keys_scored_ = keys_read_ = 0;
    unfolded_.clear();
    stats_ready_ = true;
    step_ = 1;
  }
  prompt_logits_ = at::cat(logits, 0);
  layout_.begin_generation();
  return prompt_logits_[layout_.length() - 1];
}

at::Tensor DeviceDecodeSession::step(int64_t token) {
  const int64_t first = layout_.append(token), last = layout_.length() - 1;
  at::Tensor logits;
  for (int64_t pos = first; pos <= last; ++pos) {
    if (pos > first) index_gists(pos);  // the gist just computed is a candidate now
    logits = compute(pos, pos + 1, pos == last);
  }
  if (last > first) index_gists(last + 1);
  return logits;
}

at::Tensor DeviceDecodeSession::compute(int64_t pos, int64_t call_keys, bool report) {
  const ModelConfig& c = model_.config();
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  // Spec 6, as DecodeSession: auto follows the position's own KV length,
  // reference the length of the call that computes it.
  const int64_t n_keys = settings_.budget == BudgetMode::kReference ? call_keys : pos + 1;
  last_selection_ = budget_selection(settings_.budget, settings_.selection, n_keys,
                                     layout_.settings(), static_cast<int>(c.kv_groups()));
  const std::vector<int> budgets = level_budgets(last_selection_, layout_.num_levels());
  // The training row's gists, when a layer attends to it, uploaded when they change.
  const bool needs_row = (settings_.dense_layers > 0 && settings_.baseline != Baseline::kFull) ||
                         settings_.baseline == Baseline::kGistOnly;
  if (needs_row) {
    int64_t key = hierarchy_.stream_end() * 8 + layout_.role(pos);
    for (int level = 0; level < layout_.num_levels(); ++level)
      key = key * 1000003 + layout_.id(pos, level);
    if (key != row_key_) {
      const std::vector<int64_t> row = training_row_gists(layout_, hierarchy_, settings_.mask, pos);
      decoder_->attention().set_training_row(0, row, stream);
      row_key_ = key;
      row_size_ = static_cast<int64_t>(row.size());
    }
  }
  decoder_->attention().set_step(0, sequence_step(layout_, hierarchy_, settings_.mask, pos, budgets,
                                                  needs_row ? row_size_ : 0));
  decoder_->set_inputs({layout_.token_id(pos)}, {layout_.position_id(pos)});
  const bool scores = report && observer_ != nullptr;
  at::Tensor logits = decoder_->step(0, scores)[0].clone();
  last_position_ = pos;
  stats_ready_ = false;
  if (scores) {
    for (int layer = 0; layer < c.num_hidden_layers; ++layer) {
      if (!decoder_->layer_selects(layer)) continue;
      SelectiveAttentionResult r;
      r.choices = layer_choices(layer, true);
      report_selection(*observer_, step_, layer, hierarchy_, r);
    }
  }
  if (report) ++step_;
  return logits;
}

std::vector<std::vector<LevelChoice>> DeviceDecodeSession::layer_choices(int layer,
                                                                         bool with_scores) const {
  return decoder_->attention().choices(0, layer, 0, hierarchy_, with_scores);
}

void DeviceDecodeSession::compute_statistics() const {
  if (stats_ready_) return;
  const ModelConfig& c = model_.config();
  const int64_t layers = c.num_hidden_layers, kv_heads = c.num_key_value_heads;
  const int64_t pos = last_position_;
  keys_scored_ = keys_read_ = 0;
  unfolded_.clear();
  for (int layer = 0; layer < layers; ++layer) {
    const kernels::KeySource source = decoder_->layer_source(layer);
    if (source == kernels::kAllKeys) {
      keys_read_ += static_cast<double>(pos + 1) / layers;
      continue;
    }
    if (source == kernels::kTrainingRow) {
      keys_read_ +=
          static_cast<double>(training_row_keys(layout_, settings_.mask, pos).size()) / layers;
      continue;
    }
    // As selective_attention(): per KV group, distinct gists scored and the
    // union of its units' visible keys, averaged over groups.
    const std::vector<std::vector<LevelChoice>> choices = layer_choices(layer, false);
    const int64_t per_group = static_cast<int64_t>(choices.size()) / kv_heads;
    for (int64_t g = 0; g < kv_heads; ++g) {
      std::vector<std::vector<int64_t>> scored, visible;
      for (int64_t u = g * per_group; u < (g + 1) * per_group; ++u) {
        for (const LevelChoice& choice : choices[u]) {
          std::vector<int64_t> positions;
          for (int64_t j : choice.candidates)
            positions.push_back(hierarchy_.gists(choice.level)[j]);
          scored.push_back(positions);
        }
        visible.push_back(visible_keys(layout_, hierarchy_, settings_.mask, pos, choices[u]));
        if (!choices[u].empty())
          unfolded_.insert(unfolded_.end(), choices[u].back().chosen.begin(),
                           choices[u].back().chosen.end());
      }
      keys_scored_ += static_cast<double>(union_of(scored).size()) / kv_heads / layers;
      keys_read_ += static_cast<double>(union_of(visible).size()) / kv_heads / layers;
    }
  }
  std::sort(unfolded_.begin(), unfolded_.end());
  unfolded_.erase(std::unique(unfolded_.begin(), unfolded_.end()), unfolded_.end());
  stats_ready_ = true;
}

double DeviceDecodeSession::last_keys_scored() const {
  compute_statistics();
  return keys_scored_;
}

double DeviceDecodeSession::last_keys_read() const {
  compute_statistics();
  return keys_read_;
}

const std::vector<int64_t>& DeviceDecodeSession::last_unfolded_chunks() const {
  compute_statistics();
  return unfolded_;
}

#endif  // SSA_WITH_CUDA

}  // namespace ssa
