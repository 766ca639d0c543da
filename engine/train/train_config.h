// TrainConfig: one training run, read from a JSON file such as
// assets/configs/tiny-cpu.json:
//
//   "model":  Hugging Face config keys for a fresh model (random init), or
//   "init":   a checkpoint directory to continue pretraining from;
//   "ssa":    the gist layout and mask (hierarchy, sink, previous_chunks, ...);
//             absent: plain causal language modelling (the baseline);
//   "selective": present: suffixes attend with SSA selection (k, quarter_cap,
//             top_p, gqa_mode), the spec's selective training;
//   "data":   seq_len, mix weights, ...;  "optim": lr, schedule, clipping;
//   "train":  steps, batch, accumulation, eval and save cadence, seed, device;
//   "eval":   optional retrieval under SSA decoding at every evaluation
//             (decode_examples per task, decode_k, decode_bytes: document size,
//             0 = the training length's; decode_tasks: which tasks, default all).
//
// Every mistake is a std::runtime_error "<file>: <key>: <what was expected>".
#pragma once

#include <cstdint>
#include <string>

#include "engine/data/data_mix.h"
#include "engine/model/model_config.h"
#include "engine/train/evaluation.h"
#include "engine/train/selective_training.h"

namespace ssa {

struct OptimSettings {
  double lr = 3e-4;
  double min_lr_ratio = 0.1;   // cosine decays to lr * min_lr_ratio
  double warmup_ratio = 0.05;  // fraction of steps with linear warm-up
  double weight_decay = 0.1;   // matrices only; norms and biases are not decayed
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double clip = 1.0;  // global gradient-norm clip; 0 = off
};

struct TrainConfig {
  std::string source;      // the file it came from
  std::string text;        // its JSON, as written into the run's output
  bool has_model = false;  // "model" given: random init from `model`
  ModelConfig model;
  std::string init;             // "init" given: continue from this checkpoint
  SsaConfig ssa;                // enabled == false: causal baseline
  SelectiveTraining selective;  // "selective" given: suffixes attend by SSA selection
  DataMixSettings data;
  int64_t seq_len = 256;
  double answer_weight = 1.0;
  double answer_first_weight = 0;  // 0: answer_weight
  OptimSettings optim;
  int64_t steps = 100;
  int64_t batch_size = 8;
  int64_t grad_accum = 1;
  int64_t eval_every = 50;  // 0 = only at the end
  int64_t eval_batches = 4;
  DecodeEvalSettings decode_eval;  // "eval" block
  int64_t save_every = 0;          // resumable checkpoint cadence; 0 = only at the end
  int64_t log_every = 10;
  uint64_t seed = 0;
  int threads = 0;  // CPU threads for LibTorch; 0 = its default
  std::string device = "cpu";
  std::string save_dtype = "float32";  // final checkpoint: float32 or bfloat16
};

TrainConfig parse_train_config(const std::string& json_text, const std::string& source);
TrainConfig load_train_config(const std::string& path);

// Learning rate at optimiser step `step` (0-based): linear warm-up, then
// cosine decay to lr * min_lr_ratio at the last step.
double learning_rate(const OptimSettings& o, int64_t step, int64_t total_steps);

}  // namespace ssa
