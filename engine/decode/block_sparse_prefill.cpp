#include "engine/decode/block_sparse_prefill.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

#include "engine/mask/training_mask.h"

namespace ssa {

BlockSparsePlan plan_block_sparse(const GistLayout& layout, const BlockMask& blocks, int64_t length,
                                  c10::Device device) {
  if (length > layout.length() || blocks.length != layout.length())
    throw std::invalid_argument("plan_block_sparse: the blocks must describe the layout");
  const MaskRuleView rule = mask_rule_view(layout, blocks.settings);
  const int64_t size = blocks.block_size;
  BlockSparsePlan plan;
  std::vector<int64_t> keys;
  std::vector<uint8_t> full_column, bits;
  for (int64_t b = 0; b * size < length; ++b) {
    const int64_t first = b * size, rows = std::min(size, length - first);
    keys.clear();
    full_column.clear();
    for (int64_t e = blocks.row_offsets[b]; e < blocks.row_offsets[b + 1]; ++e) {
      const BlockKind kind = blocks.kinds[e];
      const int64_t begin = int64_t{blocks.key_blocks[e]} * size;
      const int64_t end = std::min(begin + size, length);  // later keys are after every row
      for (int64_t key = begin; key < end; ++key) {
        if (kind == BlockKind::kGistsOnly && !layout.is_gist(key)) continue;
        keys.push_back(key);
        full_column.push_back(kind == BlockKind::kFull);
      }
    }
    const int64_t n = static_cast<int64_t>(keys.size());
    bits.assign(rows * n, 0);
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        bits[i * n + j] = full_column[j] || training_mask_allows(rule, first + i, keys[j]);
      }
    }
    BlockSparsePlan::Block block;
    block.first = first;
    block.rows = rows;
    block.keys = at::tensor(keys, at::TensorOptions(at::kLong)).to(device);
    block.mask = at::from_blob(bits.data(), {rows, n}, at::kByte)
                     .to(at::kBool)
                     .to(device)
                     .view({1, 1, rows, n});
    plan.blocks.push_back(std::move(block));
  }
  return plan;
}

at::Tensor block_sparse_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const BlockSparsePlan& plan) {
  const int64_t groups = q.size(1) / k.size(1);
  const at::Tensor kk = groups == 1 ? k : k.repeat_interleave(groups, 1);
  const at::Tensor vv = groups == 1 ? v : v.repeat_interleave(groups, 1);
  std::vector<at::Tensor> outputs;
  for (const BlockSparsePlan::Block& block : plan.blocks) {
    outputs.push_back(at::scaled_dot_product_attention(q.narrow(2, block.first, block.rows),
                                                       kk.index_select(2, block.keys),
                                                       vv.index_select(2, block.keys), block.mask));
  }
  return at::cat(outputs, 2);
}

}  // namespace ssa
