// Continued pretraining with gist masks: the engine side of `ssa-workbench
// train`. AdamW (decay on matrices only), linear warm-up + cosine schedule,
// global-norm clipping, gradient accumulation, bf16 autocast on CUDA and fp32
// on CPU, deterministic from the config's seed, resumable.
//
// Output directory:
//   train_config.json   the config as given
//   train_log.jsonl     one JSON line per step and per evaluation
//   checkpoint/         model (fp32) + optimizer.pt + trainer_state.json: --resume
//   model/              the final model (config.json + model.safetensors, save_dtype)
// Metrics also go to a trace::Observer (TrainStep; is_eval for evaluations).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/trace/observer.h"
#include "engine/train/evaluation.h"
#include "engine/train/train_config.h"

namespace ssa {

struct TrainOptions {
  std::string out_dir;      // required
  std::string device;       // "cpu" / "cuda"; empty: the config's train.device
  bool resume = false;      // continue from <out_dir>/checkpoint if it exists
  int64_t stop_after = -1;  // stop at this step (schedule unchanged); -1: run to the end
  bool progress = true;     // terminal progress bar on stderr
};

struct TrainResult {
  int64_t first_step = 0;      // 0, or where a resumed run started
  int64_t last_step = 0;       // steps done when it stopped
  std::vector<double> losses;  // training loss of every step this run made
  std::vector<EvalResult> evals;
  double tokens_per_second = 0;  // mean over this run (stream tokens, padding excluded)
  int64_t num_parameters = 0;
};

// Throws std::runtime_error for unusable configs or files (message names the
// file), std::invalid_argument for an unusable device or option.
TrainResult train(const TrainConfig& config, const TrainOptions& options,
                  trace::Observer* observer = nullptr);

}  // namespace ssa
