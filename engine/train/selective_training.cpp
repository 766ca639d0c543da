// Per-head masks whose suffix rows come from SSA selection.
#include "engine/train/selective_training.h"

#include <ATen/ATen.h>

#include <map>
#include <stdexcept>

#include "engine/decode/visible_set.h"
#include "engine/layout/gist_layout.h"
#include "engine/model/masked_attention.h"

namespace ssa {
namespace {

// Suffix rows [H, S, L] of one sequence with one gist level: every choosing
// unit takes the top k_l chunks by score; a query sees the unfolded chunks
// (their raw tokens and gists) and the non-gist keys of its training-mask row.
at::Tensor vectorized_rows(const GistLayout& layout, const GistHierarchy& hierarchy,
                           const at::Tensor& mask, const at::Tensor& scores, int64_t groups,
                           const SelectiveTraining& settings) {
  const int64_t H = scores.size(0), S = scores.size(1), G = scores.size(2);
  const int64_t first = layout.prefix_length(), L = mask.size(-1);
  const at::Device device = scores.device();
  at::Tensor unit_scores = scores;
  if (settings.mode == GqaMode::kGroup)
    unit_scores = scores.view({H / groups, groups, S, G}).sum(1);
  const int64_t budget = level_budget(settings.selection, G, G);
  const at::Tensor top = std::get<1>(unit_scores.topk(budget, -1));  // [U, S, budget]
  // Column G stands for "in no chunk" and is never chosen.
  const at::Tensor chosen =
      at::zeros({unit_scores.size(0), S, G + 1}, at::TensorOptions(at::kBool).device(device))
          .scatter_(-1, top, true);
  std::vector<int64_t> chunk_of(static_cast<size_t>(L), G);
  std::vector<uint8_t> gist(static_cast<size_t>(L), 0);
  for (int64_t j = 0; j < G; ++j)
    for (int64_t p = hierarchy.chunk_begin(j); p < hierarchy.chunk_end(j); ++p) chunk_of[p] = j;
  for (int64_t p = 0; p < layout.length(); ++p) gist[p] = layout.is_gist(p);
  const at::Tensor unfolded = chosen.index_select(-1, at::tensor(chunk_of).to(device));  // [U,S,L]
  const at::Tensor not_gist =
      at::tensor(std::vector<int64_t>(gist.begin(), gist.end())).eq(0).to(device);
  const at::Tensor row = mask.narrow(0, first, S).to(device).logical_and(not_gist);  // [S, L]
  at::Tensor visible = unfolded.logical_or(row.unsqueeze(0));
  if (settings.mode == GqaMode::kHead)
    visible = visible.view({H / groups, groups, S, L}).any(1).repeat_interleave(groups, 0);
  else if (settings.mode == GqaMode::kGroup)
    visible = visible.repeat_interleave(groups, 0);
  return visible;
}

}  // namespace

DecoderModel::AttentionHook selective_training_hook(const TrainingBatch& batch, MaskSettings mask,
                                                    const SelectiveTraining& settings) {
  if (batch.layouts.size() != static_cast<size_t>(batch.token_ids.size(0)))
    throw std::invalid_argument("selective training needs a batch made with SSA layouts");
  // The gist hierarchies do not change between layers: build them once.
  auto hierarchies = std::make_shared<std::vector<GistHierarchy>>();
  for (const auto& layout : batch.layouts) hierarchies->emplace_back(*layout);
  // The training mask on the model's device, copied there once for all layers.
  auto device_mask = std::make_shared<at::Tensor>();

  return [&batch, mask, settings, hierarchies, device_mask](
             int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    const int64_t B = q.size(0), H = q.size(1), L = q.size(2), groups = H / k.size(1);
    if (!device_mask->defined() || device_mask->device() != q.device())
      *device_mask = batch.mask.to(q.device());
    // A dense layer: every row, the suffix's too, is the training mask's.
    if (layer < settings.dense_layers) return masked_attention(q, k, v, *device_mask);
    at::Tensor masks = device_mask->expand({B, H, L, L}).clone();
    for (int64_t b = 0; b < B; ++b) {
      const GistLayout& layout = *batch.layouts[b];
      const GistHierarchy& hierarchy = (*hierarchies)[b];
      const int64_t first = layout.prefix_length(), n = layout.length();
      if (first >= n || hierarchy.count(0) == 0) continue;  // no suffix, or nothing to choose
      // Every gist of the prefix, scored by every suffix query of every head at
      // once (float64 like the reference; the choice is not differentiated).
      std::vector<int64_t> gists;
      std::map<int64_t, int64_t> column;  // stream position -> score column
      for (int level = 0; level < hierarchy.num_levels(); ++level)
        for (int64_t pos : hierarchy.gists(level)) {
          column[pos] = static_cast<int64_t>(gists.size());
          gists.push_back(pos);
        }
      const at::Tensor idx = at::tensor(gists).to(q.device());
      const at::Tensor keys = k[b].index_select(1, idx).repeat_interleave(groups, 0);  // [H, G, D]
      const at::Tensor scores_here =
          at::matmul(q[b].narrow(1, first, n - first).detach().to(at::kDouble),
                     keys.detach().to(at::kDouble).transpose(1, 2));  // [H, S, G]
      if (settings.vectorized && hierarchy.num_levels() == 1 && settings.selection.top_p <= 0) {
        masks[b]
            .narrow(1, first, n - first)
            .copy_(vectorized_rows(layout, hierarchy, (*device_mask)[b][0], scores_here, groups,
                                   settings));
        continue;
      }
      const at::Tensor scores = scores_here.to(at::kCPU).contiguous();
      auto s = scores.accessor<double, 3>();
      at::Tensor rows = at::zeros({H, n - first, L}, at::kBool);
      auto r = rows.accessor<bool, 3>();
      for (int64_t query = first; query < n; ++query) {
        // Choosing units: query heads, or KV groups (scores summed) in kGroup mode.
        const bool by_group = settings.mode == GqaMode::kGroup;
        const int64_t units = by_group ? H / groups : H;
        std::vector<std::vector<int64_t>> visible(units);
        for (int64_t u = 0; u < units; ++u) {
          const int64_t h0 = by_group ? u * groups : u, count = by_group ? groups : 1;
          const GistScorer scorer = [&](int level, const std::vector<int64_t>& candidates) {
            std::vector<double> out;
            for (int64_t c : candidates) {
              const int64_t col = column.at(hierarchy.gists(level)[c]);
              double sum = 0;
              for (int64_t h = h0; h < h0 + count; ++h) sum += s[h][query - first][col];
              out.push_back(sum);
            }
            return out;
          };
          visible[u] = visible_keys(layout, hierarchy, mask, query,
                                    select_chunks(hierarchy, settings.selection, scorer));
        }
        for (int64_t h = 0; h < H; ++h) {
          const int64_t g0 = h / groups * groups;
          const std::vector<int64_t> keys_of_h =
              by_group ? visible[h / groups]
              : settings.mode == GqaMode::kHead
                  ? union_of({visible.begin() + g0, visible.begin() + g0 + groups})
                  : visible[h];
          for (int64_t key : keys_of_h) r[h][query - first][key] = true;
        }
      }
      masks[b].narrow(1, first, n - first).copy_(rows.to(q.device()));
    }
    return masked_attention(q, k, v, masks);
  };
}

}  // namespace ssa
