// What a decode run recorded about its own quality, in the numbers the views
// draw: the baseline it ran as, the full-attention mass its unfolded chunks
// covered (with --shadow-full) and whether the task's answer chunk was
// unfolded, per step and summed up. The views, the compare table and the
// headless summary all take their numbers from here, so they never disagree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sessions/records.h"

namespace ssa::summary {

// The run's decode configuration (config_json) and its per-step numbers summed up.
struct DecodeSummary {
  // Configuration; empty / -1 where config_json does not say.
  std::string baseline;  // "none" (the selection itself), "full", "gist-only", "oracle", "recency"
  bool shadow_full = false;  // full-attention mass measured next to the selection
  int32_t k = -1;
  std::string mode, task, answer;
  std::string budget;         // "fixed", "auto", "reference", "top-p"
  int32_t dense_layers = -1;  // first layers that did not select (training-mask row)

  // Per-step numbers of decode_steps, summed up.
  int64_t steps = 0;
  int64_t coverage_steps = 0;  // steps with a measured coverage (>= 0)
  double mean_coverage = -1;   // over those steps, -1 when none
  double min_coverage = -1, max_coverage = -1;
  int64_t answer_steps = 0;        // steps where answer_unfolded is known (>= 0)
  int64_t answer_unfolded = 0;     // steps where it is 1
  int64_t first_answer_step = -1;  // first step with answer_unfolded == 1
  double mean_keys_read = 0;       // per step, over every step
  double mean_keys_scored = 0;

  bool has_coverage() const { return coverage_steps > 0; }
  bool knows_answer() const { return answer_steps > 0; }
};

// Reads the configuration from `config_json` (unreadable JSON: left empty)
// and sums `steps` up.
DecodeSummary summarize_decode(const std::string& config_json,
                               const std::vector<sessions::DecodeStepRecord>& steps);

// What the GUI calls a baseline: "SSA" (or "H-SSA" with levels > 1) for
// "none", "full attention" for "full", the name itself otherwise, "?" when
// the recording does not say.
std::string baseline_label(const std::string& baseline, int num_levels);

// The steps [first, last] cut into at most `bins` consecutive bins of equal
// step count (one step a bin when they fit): what one pixel column (or row)
// of a step lane shows.
struct StepBin {
  int64_t first = 0, last = -1;  // steps of the bin
  int64_t coverage_steps = 0;    // recorded steps with a measured coverage
  double coverage = -1;          // their mean, -1 when none
  int64_t answer_steps = 0;      // recorded steps where the answer flag is known
  int64_t answer_unfolded = 0;   // of those, steps where the answer chunk was unfolded
  // 1: unfolded at some step of the bin; 0: known and never unfolded; -1: unknown.
  int32_t answer() const { return answer_unfolded > 0 ? 1 : answer_steps > 0 ? 0 : -1; }
};
// `steps` ascending by step (as the Reader returns them); steps missing from
// it count as unrecorded.
std::vector<StepBin> bin_steps(const std::vector<sessions::DecodeStepRecord>& steps, int64_t first,
                               int64_t last, int bins);

// The record of `step`, nullptr when the run has none.
const sessions::DecodeStepRecord* find_step(const std::vector<sessions::DecodeStepRecord>& steps,
                                            int64_t step);

}  // namespace ssa::summary
