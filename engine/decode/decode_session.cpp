#include "engine/decode/decode_session.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "engine/decode/block_sparse_prefill.h"
#include "engine/mask/block_mask.h"
#include "engine/mask/training_mask.h"
#include "engine/model/masked_attention.h"

namespace ssa {

DecodeSession::DecodeSession(const DecoderModel& model, GistLayout layout, DecodeSettings settings,
                             trace::Observer* observer)
    : model_(model),
      layout_(std::move(layout)),
      hierarchy_(layout_),
      settings_(settings),
      observer_(observer) {
  const int64_t layers = model_.config().num_hidden_layers;
  if (settings_.dense_layers < 0 || settings_.dense_layers > layers) {
    throw std::invalid_argument("dense layers must be in [0, " + std::to_string(layers) +
                                "], got " + std::to_string(settings_.dense_layers));
  }
  check_budget(settings_.budget, settings_.selection);
}

void DecodeSession::index_gists(int64_t end) {
  hierarchy_ = GistHierarchy(layout_, end);
  gist_keys_.assign(keys_.size(), {});
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    if (keys_[layer].defined()) gist_keys_[layer] = gather_gist_keys(keys_[layer], hierarchy_);
  }
}

void DecodeSession::store(int64_t layer, const at::Tensor& k, const at::Tensor& v, int64_t first) {
  // k, v: [1, Hkv, n, D]. The cache grows by doubling so appends stay cheap.
  const int64_t n = k.size(2), need = first + n;
  at::Tensor& keys = keys_[layer];
  at::Tensor& values = values_[layer];
  if (!keys.defined() || keys.size(1) < need) {
    const int64_t capacity =
        std::max<int64_t>(need, keys.defined() ? 2 * keys.size(1) : need + 256);
    at::Tensor grown_k = at::zeros({k.size(1), capacity, k.size(3)}, k.options());
    at::Tensor grown_v = at::zeros({v.size(1), capacity, v.size(3)}, v.options());
    if (keys.defined()) {
      grown_k.narrow(1, 0, first).copy_(keys.narrow(1, 0, first));
      grown_v.narrow(1, 0, first).copy_(values.narrow(1, 0, first));
    }
    keys = grown_k;
    values = grown_v;
  }
  keys.narrow(1, first, n).copy_(k[0]);
  values.narrow(1, first, n).copy_(v[0]);
}

at::Tensor DecodeSession::prefill() {
  const int64_t layers = model_.config().num_hidden_layers;
  keys_.assign(layers, at::Tensor());
  values_.assign(layers, at::Tensor());
  const int64_t prefix = layout_.prefix_length();
  const at::TensorOptions longs = at::TensorOptions(at::kLong).device(model_.device());
  std::vector<at::Tensor> logits;
  if (prefix > 0) {
    // The prefix attends with the training mask, as in training.
    const std::vector<int64_t> ids(layout_.token_ids().begin(),
                                   layout_.token_ids().begin() + prefix);
    // Auto: on the CPU block by block (it skips the masked-out work: 2.5x faster
    // at 4K positions, docs/benchmarks.md); on a GPU one dense call while the
    // mask fits.
    const bool sparse = settings_.prefill == PrefillMode::kBlocks ||
                        (settings_.prefill == PrefillMode::kAuto &&
                         (prefix > kMaxDenseMaskLength || model_.device().is_cpu()));
    if (settings_.prefill == PrefillMode::kDense && prefix > kMaxDenseMaskLength) {
      throw std::invalid_argument("a dense prefill mask is limited to " +
                                  std::to_string(kMaxDenseMaskLength) +
                                  " positions; this prefix has " + std::to_string(prefix));
    }
    const at::Tensor m =
        sparse ? at::Tensor()
               : dense_training_mask(layout_, settings_.mask, prefix).to(model_.device());
    // Worked out once, read by every layer.
    const BlockSparsePlan plan =
        sparse ? plan_block_sparse(layout_, build_block_mask(layout_, settings_.mask, 128), prefix,
                                   model_.device())
               : BlockSparsePlan{};
    logits.push_back(model_.forward_with(
        at::tensor(ids, longs).unsqueeze(0),
        at::tensor(std::vector<int64_t>(layout_.position_ids().begin(),
                                        layout_.position_ids().begin() + prefix),
                   longs)
            .unsqueeze(0),
        [&](int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
          store(layer, k, v, 0);
          return sparse ? block_sparse_attention(q, k, v, plan) : masked_attention(q, k, v, m);
        })[0]);
  }
  index_gists(prefix);
  for (int64_t pos = prefix; pos < layout_.length(); ++pos) {
    const bool last = pos + 1 == layout_.length();
    // The reference computes the whole prompt in one call: its budget sees
    // the prompt's length at every suffix position.
    logits.push_back(compute_suffix_position(pos, layout_.length(), last).unsqueeze(0));
  }
  if (prefix == layout_.length()) {
    // No suffix in the prompt: step 0 used the training mask, nothing to report.
    last_keys_scored_ = last_keys_read_ = 0;
    last_coverage_ = -1;
    last_unfolded_.clear();
    step_ = 1;
  }
  prompt_logits_ = at::cat(logits, 0);
  layout_.begin_generation();
  return prompt_logits_[layout_.length() - 1];
}

at::Tensor DecodeSession::step(int64_t token) {
  // The token, then any gists the layout placed after it; the last position
  // computed predicts the next token and is the step that gets reported.
  const int64_t first = layout_.append(token), last = layout_.length() - 1;
  at::Tensor logits;
  for (int64_t pos = first; pos <= last; ++pos) {
    // Each gist is a candidate as soon as its KV exists: the meta-gist right
    // after it can already unfold its chunk.
    if (pos > first) index_gists(pos);
    logits = compute_suffix_position(pos, pos + 1, pos == last);
  }
  if (last > first) index_gists(last + 1);
  return logits;
}

at::Tensor DecodeSession::compute_suffix_position(int64_t pos, int64_t call_keys, bool report) {
  const at::TensorOptions longs = at::TensorOptions(at::kLong).device(model_.device());
  const ModelConfig& config = model_.config();
  const int64_t layers = config.num_hidden_layers;
  // Spec 6: this position's k per level. auto follows the position's own KV
  // length, reference the call's (budget.h).
  const int64_t n_keys = settings_.budget == BudgetMode::kReference ? call_keys : pos + 1;
  const SelectionSettings selection =
      budget_selection(settings_.budget, settings_.selection, n_keys, layout_.settings(),
                       static_cast<int>(config.num_attention_heads / config.num_key_value_heads));
  last_selection_ = selection;
  SelectiveAttentionOptions options;
  options.baseline = settings_.baseline;
  options.shadow_full = settings_.shadow_full;
  // Full attention reads every key at every layer; the other baselines and SSA
  // leave the first dense_layers layers on their training-mask row (spec 8).
  const int64_t dense = settings_.baseline == Baseline::kFull ? 0 : settings_.dense_layers;
  double scored = 0, read = 0, coverage = 0;
  int64_t covered_layers = 0;
  std::vector<int64_t> unfolded;
  at::Tensor logits = model_.forward_with(
      at::full({1, 1}, layout_.token_id(pos), longs),
      at::full({1, 1}, layout_.position_id(pos), longs),
      [&](int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
        store(layer, k, v, pos);
        const at::Tensor keys = keys_[layer].narrow(1, 0, pos + 1);
        const at::Tensor values = values_[layer].narrow(1, 0, pos + 1);
        const at::Tensor query = q[0].select(1, 0);  // [H, D]
        if (settings_.baseline == Baseline::kFull) {
          // Every cached position is earlier than (or is) the query: no mask.
          read += static_cast<double>(pos + 1) / layers;
          return full_attention(query, keys, values).unsqueeze(1).unsqueeze(0);
        }
        options.gist_keys = gist_keys_[layer].empty() ? nullptr : &gist_keys_[layer];
        const SelectiveAttentionResult r =
            layer < dense
                ? training_row_attention(query, keys, values, layout_, settings_.mask, pos,
                                         settings_.mode)
                : selective_attention(query, keys, values, layout_, hierarchy_, settings_.mask, pos,
                                      selection, settings_.mode, options);
        scored += r.keys_scored / layers;
        read += r.keys_read / layers;
        if (r.full_mass_coverage >= 0) coverage += r.full_mass_coverage, ++covered_layers;
        for (const auto& unit : r.choices) {
          if (unit.empty()) continue;
          unfolded.insert(unfolded.end(), unit.back().chosen.begin(), unit.back().chosen.end());
        }
        // A dense layer has no choices: it reports nothing.
        if (report && observer_) {
          report_selection(*observer_, step_, static_cast<int32_t>(layer), hierarchy_, r);
        }
        return r.output.unsqueeze(1).unsqueeze(0);  // [1, H, 1, D]
      });
  last_keys_scored_ = scored;
  last_keys_read_ = read;
  last_coverage_ = covered_layers > 0 ? coverage / static_cast<double>(covered_layers) : -1.0;
  std::sort(unfolded.begin(), unfolded.end());
  unfolded.erase(std::unique(unfolded.begin(), unfolded.end()), unfolded.end());
  last_unfolded_ = std::move(unfolded);
  if (report) ++step_;
  return logits[0][0];
}

}  // namespace ssa
