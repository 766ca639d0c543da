// Prefill + incremental decoding with selective attention (ssa-spec.md,
// "Inference: prefix, suffix and selective attention").
//
// The prefix (up to the last top-level gist) is computed once with the
// training mask (dense, or block by block: PrefillMode); every suffix
// position, the prompt's uncompressed rest and each generated token, attends
// selectively, per layer and head, through selective_attention(). The KV cache holds every position
// in stream order (a chunk's raw KV is the stream range GistHierarchy gives for its id); the gist
// keys of each level are also kept contiguous, in float64, so scoring reads only them.
//
// With the layout's gists_in_generation, a gist (and meta-gists where groups
// complete) follows every c generated tokens; they are computed like any
// suffix position, and each joins the hierarchy once its KV exists, so that
// generated chunks can be chosen and unfolded like the prompt's (an open gist,
// not yet summarised by the level above, is a candidate at its own level).
//
// Steps: step 0 is the last prompt position (its logits give the first
// generated token), step s > 0 the position of generated token s - 1. Each
// step's candidate scores and choices (per layer, head, level) go to the
// observer; the DecodeStep itself is reported by whoever picks the token
// (generation.h), since only it knows the token produced. When gists follow a
// generated token, the step is the last of them (it predicts the next token).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/decode/budget.h"
#include "engine/decode/chunk_selector.h"
#include "engine/decode/selective_attention.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/mask_rule.h"
#include "engine/model/decoder.h"
#include "engine/trace/observer.h"

namespace ssa {

// How the prefix attends under the training mask: the dense L x L mask, or
// block by block (block_sparse_prefill.h: reads only visible blocks). Auto:
// blocks on the CPU; on a GPU dense up to kMaxDenseMaskLength, blocks beyond.
enum class PrefillMode { kAuto, kDense, kBlocks };

struct DecodeSettings {
  SelectionSettings selection;  // the user's k, quarter cap and top_p
  // How selection becomes each position's k_l (budget.h): fixed, auto, reference, top-p.
  BudgetMode budget = BudgetMode::kFixed;
  // The first dense_layers layers never select (spec 8; the reference: 1):
  // their suffix queries attend to their training-mask row. Applies to SSA,
  // oracle and recency; full attention and gist-only ignore it.
  int dense_layers = 1;
  GqaMode mode = GqaMode::kHead;
  MaskSettings mask;
  Baseline baseline = Baseline::kNone;  // kFull: every earlier position, no selection
  bool shadow_full = false;             // measure the full-attention mass coverage
  PrefillMode prefill = PrefillMode::kAuto;
};

class DecodeSession {
 public:
  // `layout`: the compressed document with the prompt's suffix appended. The
  // model and observer must outlive the session; observer may be null.
  // Throws std::invalid_argument for settings the model cannot take (more
  // dense layers than it has, a budget that does not fit selection).
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
  // Of the last step with shadow_full, averaged over the selecting layers and
  // units: the share of the full-attention mass over the prefix's chunks that
  // the unfolded chunks carry; -1 when not measured (or no layer selects).
  double last_full_mass_coverage() const { return last_coverage_; }
  // The selection the last position computed used (its k_l per level follow
  // the KV length with the auto and reference budgets), and its level-0 k.
  const SelectionSettings& last_selection() const { return last_selection_; }
  int last_budget() const { return last_selection_.k_at(0); }
  // Logits of every prompt position computed by prefill(), [L, vocab] (tests).
  const at::Tensor& prompt_logits() const { return prompt_logits_; }

 private:
  // `call_keys`: the key length of the reference's attention call that
  // computes `position` (the prompt's length during prefill: one call).
  at::Tensor compute_suffix_position(int64_t position, int64_t call_keys, bool report);
  void store(int64_t layer, const at::Tensor& k, const at::Tensor& v, int64_t first);
  // (Re)builds the hierarchy and the per-level gist keys from the layout's
  // gists before stream position `end` (their KV must be in the cache).
  void index_gists(int64_t end);

  const DecoderModel& model_;
  GistLayout layout_;
  GistHierarchy hierarchy_;  // of the layout's gists (grows only with generation gists)
  DecodeSettings settings_;
  trace::Observer* observer_;
  std::vector<at::Tensor> keys_, values_;           // per layer [Hkv, capacity, D]
  std::vector<std::vector<at::Tensor>> gist_keys_;  // [layer][level] [Hkv, n_l, D] float64
  int64_t step_ = 0;
  double last_keys_scored_ = 0, last_keys_read_ = 0, last_coverage_ = -1;
  SelectionSettings last_selection_;
  std::vector<int64_t> last_unfolded_;
  at::Tensor prompt_logits_;
};

}  // namespace ssa
