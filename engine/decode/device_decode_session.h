// The GPU decode path behind DecodeSession's interface: prefill as the CPU
// reference does it (the prefix under the training mask), then every suffix
// position as one DeviceDecoder step (selection, sparse attention, the whole
// model, a CUDA graph once warm), reporting the same choices to the observer
// and the same statistics (keys scored / read, unfolded chunks).
//
// The KV cache is bf16 whatever the model's dtype; scores are fp32 (the CPU
// reference ranks in float64), so near-ties may choose differently and
// outputs agree to bf16 rounding (tests/kernels/device_decode_test.cpp).
// Not on the device: the oracle and recency baselines and the full-attention
// shadow (they rank by full attention on the host); make_decode_session()
// falls back to DecodeSession for them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/decode/decode_session.h"
#include "engine/decode/device_plan.h"

namespace ssa {

struct DeviceDecodeOptions {
  // The budget mode and dense layers come from DecodeSettings, as on the CPU.
  int version = 2;                 // kernel version (1 plain, 2 tensor cores)
  bool use_graph = true;           // replay the step as a CUDA graph
  bool fused_ops = true;           // DeviceDecoderSettings::fused_ops
  bool overlap_launches = false;   // programmatic dependent launches (kernels/launch.h)
  int64_t extra_positions = 8192;  // KV cache room past the prompt
};

// Why the GPU path cannot decode with these settings ("" when it can).
std::string device_decode_unsupported(const DecoderModel& model, const GistLayout& layout,
                                      const DecodeSettings& settings);

// The session record, generate and eval use: the GPU path for a model on
// CUDA when it supports the settings, else DecodeSession. The environment
// variable SSA_DECODE_PATH=reference forces DecodeSession, =device the GPU
// path (an error when unsupported); SSA_KERNEL_VERSION=1 picks the plain kernels,
// SSA_SELECT_TOPK=radix or =rounds the selection's earlier top-k's (DeviceSelectionSettings).
std::unique_ptr<DecodeSession> make_decode_session(const DecoderModel& model, GistLayout layout,
                                                   DecodeSettings settings,
                                                   trace::Observer* observer = nullptr,
                                                   DeviceDecodeOptions options = {});

#if defined(SSA_WITH_CUDA)

class DeviceDecoder;

class DeviceDecodeSession : public DecodeSession {
 public:
  // Throws std::invalid_argument with device_decode_unsupported()'s reason.
  DeviceDecodeSession(const DecoderModel& model, GistLayout layout, DecodeSettings settings,
                      trace::Observer* observer = nullptr, DeviceDecodeOptions options = {});
  ~DeviceDecodeSession() override;

  at::Tensor prefill() override;
  at::Tensor step(int64_t token) override;

  const GistLayout& layout() const override { return layout_; }
  const GistHierarchy& hierarchy() const override { return hierarchy_; }
  int64_t steps() const override { return step_; }
  double last_keys_scored() const override;
  double last_keys_read() const override;
  const std::vector<int64_t>& last_unfolded_chunks() const override;
  double last_full_mass_coverage() const override { return -1; }
  const SelectionSettings& last_selection() const override { return last_selection_; }
  const at::Tensor& prompt_logits() const override { return prompt_logits_; }

  bool graphed() const;  // steps replay a CUDA graph
  bool fused() const;    // the fused step ops run (DeviceDecoder::fused)

 private:
  // `call_keys`: the key length of the reference's call computing `position`.
  at::Tensor compute(int64_t position, int64_t call_keys, bool report);
  void index_gists(int64_t end);
  // Choices of every unit at `layer` of the last step (a sync), CPU form.
  std::vector<std::vector<LevelChoice>> layer_choices(int layer, bool with_scores) const;
  void compute_statistics() const;

  const DecoderModel& model_;
  GistLayout layout_;
  GistHierarchy hierarchy_;
  DecodeSettings settings_;
  DeviceDecodeOptions options_;
  trace::Observer* observer_;
  std::unique_ptr<DeviceDecoder> decoder_;
  int64_t step_ = 0;
  SelectionSettings last_selection_;
  int64_t last_position_ = -1;
  int64_t row_key_ = -1;  // the training row uploaded (hierarchy end * 8 + query level)
  int64_t row_size_ = 0;
  at::Tensor prompt_logits_;
  // Statistics of the last position, worked out when first asked.
  mutable bool stats_ready_ = true;
  mutable double keys_scored_ = 0, keys_read_ = 0;
  mutable std::vector<int64_t> unfolded_;
};

#endif  // SSA_WITH_CUDA

}  // namespace ssa
