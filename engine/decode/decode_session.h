// Prefill + incremental decoding with selective attention (ssa-spec.md,
// "Inference: prefix, suffix and selective attention").
//
// The prefix (up to the last top-level gist) is computed once with the
// training mask; every suffix position, the prompt's uncompressed rest and
// each generated token, attends selectively, per layer and head, through
// selective_attention(). The KV cache holds every position in stream order
// (a chunk's raw KV is the stream range GistHierarchy gives for its id); the
// gist keys scored at each level are read by position from it.
//
// Steps: step 0 is the last prompt position (its logits give the first
// generated token), step s > 0 the position of generated token s - 1. Each
// step's candidate scores and choices (per layer, head, level) go to the
// observer; the DecodeStep itself is reported by whoever picks the token
// (generation.h), since only it knows the token produced.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/decode/chunk_selector.h"
#include "engine/decode/selective_attention.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"
#include "engine/model/decoder.h"
#include "engine/trace/observer.h"

namespace ssa {

struct DecodeSettings {
  SelectionSettings selection;
  GqaMode mode = GqaMode::kHead;
  MaskSettings mask;
  bool full_attention = false;  // baseline: every earlier position, no selection
};

class DecodeSession {
 public:
  // `layout`: the compressed document with the prompt's suffix appended. The
  // model and observer must outlive the session; observer may be null.
  DecodeSession(const DecoderModel& model, GistLayout layout, DecodeSettings settings,
                trace::Observer* observer = nullptr);

  // Computes the whole prompt; returns the logits [vocab] of its last position.
  at::Tensor prefill();
  // Appends `token` to the stream and computes it; returns its logits [vocab].
  at::Tensor step(int64_t token);

  const GistLayout& layout() const { return layout_; }
  const GistHierarchy& hierarchy() const { return hierarchy_; }
  // Steps computed so far (the next step's index).
  int64_t steps() const { return step_; }
  // Of the last step, averaged over layers: gist keys scored and keys attended
  // per KV group; and the level-0 chunks unfolded by any layer or head.
  double last_keys_scored() const { return last_keys_scored_; }
  double last_keys_read() const { return last_keys_read_; }
  const std::vector<int64_t>& last_unfolded_chunks() const { return last_unfolded_; }
  // Logits of every prompt position computed by prefill(), [L, vocab] (tests).
  const at::Tensor& prompt_logits() const { return prompt_logits_; }

 private:
  at::Tensor compute_suffix_position(int64_t position, bool report);
  void store(int64_t layer, const at::Tensor& k, const at::Tensor& v, int64_t first);

  const DecoderModel& model_;
  GistLayout layout_;
  GistHierarchy hierarchy_;  // of the prompt's prefix, which decoding never changes
  DecodeSettings settings_;
  trace::Observer* observer_;
  std::vector<at::Tensor> keys_, values_;  // per layer [Hkv, capacity, D]
  int64_t step_ = 0;
  double last_keys_scored_ = 0, last_keys_read_ = 0;
  std::vector<int64_t> last_unfolded_;
  at::Tensor prompt_logits_;
};

}  // namespace ssa
