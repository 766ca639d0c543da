// One decode step of the whole model on the GPU for a batch of sequences:
// embedding, every layer (projections, RoPE, KV append, selection and
// attention through DeviceAttention, MLP), the head; preallocated KV caches,
// no host synchronisation inside the step, and after the first (eager) step
// the step replayed as a captured CUDA graph.
//
// The forward mirrors DecoderModel::forward_with (engine/model/decoder.cpp)
// op for op, with the RoPE table and the inputs already on the device so that
// it can be captured; tests/kernels compare its logits with forward_with's.
// On bf16 models (fused_ops) the same rounding runs through a few fused
// kernels (device_step_ops.h) and one q/k/v GEMM (one gate/up GEMM on packed
// weights, projection_packing.h) instead of LibTorch's chains.
// Built only with CUDA (SSA_WITH_CUDA).
#pragma once

#if defined(SSA_WITH_CUDA)

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAStream.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "engine/decode/device_attention.h"
#include "engine/model/decoder.h"

namespace ssa {

// What the layers past the dense ones attend to.
enum class DeviceAttentionKind {
  kSelective,    // SSA / H-SSA: choose, then the visible keys
  kTrainingRow,  // the gist-only baseline
  kFullFlash,    // every earlier key, through the split-KV kernel
  kFullSdpa,     // every earlier key, through at::scaled_dot_product_attention (GQA)
};

struct DeviceDecoderSettings {
  DeviceSelectionSettings selection;
  DeviceAttentionKind attention = DeviceAttentionKind::kSelective;
  int dense_layers = 0;     // the first N layers attend their training row without selecting
  bool use_graph = true;    // capture the step once warm
  int64_t sdpa_length = 0;  // kFullSdpa: the keys attended (fixed: it is captured)
  // bf16 models: the fused kernels (device_step_ops.h) and one q/k/v GEMM in
  // place of LibTorch's op chains; false keeps the op-for-op path to compare.
  bool fused_ops = true;
  // With fused_ops, up to 8 sequences: the projections and the head through
  // small_batch_linear (device_step_ops.h); false: cuBLAS (at::linear).
  bool small_batch_gemm = true;
};

class DeviceDecoder {
 public:
  // The model's weights must be on the GPU (any float dtype); `shape` must match it.
  // `caches`: one per layer to use (shared with another decoder of the same
  // shape, e.g. a baseline on the same context), or empty to allocate them.
  DeviceDecoder(const DecoderModel& model, DeviceDecodeShape shape, DeviceDecoderSettings settings,
                std::vector<DeviceLayerCache> caches = {});
  ~DeviceDecoder();

  DeviceAttention& attention() { return *attention_; }
  std::vector<DeviceLayerCache>& caches() { return caches_; }
  const DeviceDecoderSettings& settings() const { return settings_; }
  cudaStream_t stream() const { return stream_.stream(); }
  bool graphed() const { return !graphs_.empty(); }
  bool fused() const { return fused_; }  // the fused step ops run (fused_ops on a bf16 model)
  // What layer `layer` attends with.
  kernels::KeySource layer_source(int layer) const;
  bool layer_selects(int layer) const { return layer_source(layer) == kernels::kSelectedKeys; }

  // The next step's tokens and RoPE positions, one per sequence (the
  // SequenceStep of each goes through attention().set_step).
  void set_inputs(const std::vector<int64_t>& tokens, const std::vector<int64_t>& positions);
  // Runs the step on the decoder's stream (the caller's current stream waits
  // for it, the host does not): choices to buffer set `set`, scores when
  // `scores`. Returns logits [B, vocab], valid until the next step.
  const at::Tensor& step(int set = 0, bool scores = false);

 private:
  struct LayerWeights {
    at::Tensor input_norm, post_norm, q, k, v, o, q_bias, k_bias, v_bias, o_bias;
    at::Tensor gate, up, down, gate_bias, up_bias, down_bias;
    at::Tensor qkv, qkv_bias;  // the fused path's [q; k; v] rows
    // The fused path's [gate; up] rows: a view where the model's are packed
    // (pack_projection_weights), else undefined and two GEMMs.
    at::Tensor gate_up, gate_up_bias;
  };
  at::Tensor forward(int set, bool scores);
  at::Tensor attention_block(int layer, const at::Tensor& x, const at::Tensor& cos,
                             const at::Tensor& sin, int set, bool scores);
  at::Tensor forward_fused(int set, bool scores);
  at::Tensor attention_fused(int layer, const at::Tensor& x, const at::Tensor& cos,
                             const at::Tensor& sin, int set, bool scores);
  // What attends q for `layer` (either path): o [B, H, 1, D] in the model's dtype.
  at::Tensor attend(int layer, const at::Tensor& q, at::ScalarType dtype, int set, bool scores);
  // The fused path's x W^T + b (small_batch_gemm or cuBLAS).
  at::Tensor project(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const;

  const DecoderModel& model_;
  DeviceDecoderSettings settings_;
  std::unique_ptr<DeviceAttention> attention_;
  std::vector<DeviceLayerCache> caches_;
  std::vector<LayerWeights> layers_;
  at::Tensor embed_, final_norm_, head_;
  c10::cuda::CUDAStream stream_;
  at::Tensor tokens_, positions_, inv_freq_, out_;  // device inputs and the attention output
  std::vector<int64_t> host_tokens_, host_positions_;
  std::map<int, std::unique_ptr<at::cuda::CUDAGraph>> graphs_;  // by set * 2 + scores
  std::map<int, at::Tensor> graph_logits_;
  bool fused_ = false;  // settings_.fused_ops on a bf16 model
  bool warm_ = false;
  at::Tensor logits_;
};

}  // namespace ssa

#endif  // SSA_WITH_CUDA
