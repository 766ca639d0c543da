// Synthetic recordings for the GUI's tests, benchmark and interim demo.
//
// The token stream and block mask are the engine's own (GistLayout,
// build_block_mask); the decode trace is made up but follows the spec's
// selection procedure: every head scores the top-level gists, keeps the top
// k_l = min(k, max(1, n_l / 4)), descends into the chosen groups and unfolds
// the chunks of the chosen gists. Scores favour a "needle" chunk (the task's
// answer) and a focus that drifts across the context with the steps, so the
// choices change from step to step. Baseline runs and the full-attention
// coverage follow ssa-spec.md "Baselines" on a synthetic attention mass.
// Everything goes through sessions::Writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssa::gui::testing {

struct RecordingShape {
  int64_t raw_tokens = 600;      // compressed document length in raw tokens
  int chunk = 8;                 // c
  std::vector<int> group_sizes;  // c1, c2, ... (H-SSA)
  int sink = 3;
  int previous_chunks = 1;  // p
  int block_size = 64;      // of the recorded block mask (64 or 128)
  int layers = 2;
  int heads = 4;            // score rows
  int64_t steps = 40;       // decode steps with detail
  int k = 3;                // budget per level
  bool compare_run = true;  // also record a second run (k = 1) for compare
  bool train_run = true;    // and a short training run
  // Per decode step, the share of a synthetic "full-attention" mass over the
  // chunks that the unfolded chunks carry, averaged over layers and heads
  // (decode_steps.full_mass_coverage; -1 when off), as `record --shadow-full`.
  bool shadow_full = false;
  // Baseline runs recorded after the SSA runs, in this order: "oracle" (top-k
  // chunks by that mass), "recency" (the last k chunks), "gist-only" (no
  // unfolding, no detail), "full" (every key, no detail, nothing measured).
  std::vector<std::string> baselines;
  // The first N layers are dense (config_json "dense_layers"): they record
  // no selection, as the engine's dense layers attend to their training-mask row.
  int dense_layers = 0;
  // Write the layout again after decoding with the generated tokens appended,
  // as `record` does when a run finishes.
  bool generated_in_layout = false;
  uint32_t seed = 7;
};

// Writes a new recording at `path` (replacing it). Returns the run ids written
// (decode runs first: SSA k, SSA k=1, then the baselines; training last). Throws on any failure.
std::vector<int64_t> generate_recording(const std::string& path, const RecordingShape& shape);

}  // namespace ssa::gui::testing
