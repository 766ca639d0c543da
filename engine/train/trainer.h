// Continued pretraining with gist masks: the engine side of `ssa-workbench
// train`. AdamW (decay on matrices only), linear warm-up + cosine schedule,
// global-norm clipping, gradient accumulation, bf16 autocast on CUDA and fp32
// on CPU, deterministic from the config's seed, resumable.
//
// Output directory (engine/train/run_folder.h, consistent across kill -9):
//   train_config.json   the config as given
//   train_log.jsonl     one JSON line per step and per evaluation
//   checkpoint          -> checkpoints/step-N/: model (fp32) + optimizer.pt +
//                       trainer_state.json, what --resume continues from
//   model/              the final model (config.json + model.safetensors, save_dtype)
// Metrics also go to a trace::Observer (TrainStep; is_eval for evaluations).
// Nothing is written before the config, the data and the starting model have
// loaded; an existing run folder is never overwritten without --resume or --force.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/trace/observer.h"
#include "engine/train/evaluation.h"
#include "engine/train/train_config.h"

namespace ssa {

class DataParallel;  // engine/train/distributed/data_parallel.h

struct TrainOptions {
  std::string out_dir;      // required
  std::string device;       // "cpu" / "cuda"; empty: the config's train.device
  bool resume = false;      // continue from <out_dir>/checkpoint (which must exist)
  bool force = false;       // start afresh in a folder that holds a run (its files go)
  int64_t stop_after = -1;  // stop at this step (schedule unchanged); -1: run to the end
  bool progress = true;     // terminal progress bar on stderr
  // Set (to the signal's number) by a SIGINT/SIGTERM handler: the run stops
  // after the step in progress, saves a checkpoint there and returns.
  const std::atomic<int>* stop_signal = nullptr;
  // One rank of a data-parallel run (null: this process trains alone). Rank 0
  // alone reads and writes out_dir; each rank trains on its share of a step.
  DataParallel* parallel = nullptr;
};

struct TrainResult {
  int64_t first_step = 0;      // 0, or where a resumed run started
  int64_t last_step = 0;       // steps done when it stopped
  std::vector<double> losses;  // training loss of every step this run made
  std::vector<EvalResult> evals;
  double tokens_per_second = 0;  // mean over this run (stream tokens, padding excluded)
  int64_t num_parameters = 0;
  int interrupted_by = 0;  // the stop signal's number; 0: ran to its end
};

// A run that started and then failed: the loss or the gradient turned NaN or
// infinite, or its files could not be written. The last checkpoint stays.
struct TrainingFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::invalid_argument for an unusable option (device, --resume
// without a checkpoint, a folder that holds a run), std::runtime_error for
// unusable configs or files (the message names the file), TrainingFailure
// once the run has started.
TrainResult train(const TrainConfig& config, const TrainOptions& options,
                  trace::Observer* observer = nullptr);

// The step <out_dir>'s checkpoint resumes at, -1 when there is none; throws
// std::runtime_error for a damaged checkpoint (what train() would refuse).
int64_t checkpoint_step(const std::string& out_dir);

}  // namespace ssa
