// The training loop, its checkpoints and its log.
#include "engine/train/trainer.h"

#include <sys/stat.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "engine/decode/task_prompt.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"
#include "engine/model/checkpoint.h"
#include "engine/model/message.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/trace/layout_trace.h"
#include "engine/train/distributed/data_parallel.h"
#include "engine/train/distributed/replicate.h"
#include "engine/train/distributed/step_shard.h"
#include "engine/train/progress_bar.h"
#include "engine/train/run_folder.h"
#include "engine/train/training_batch.h"
#include "engine/train/training_text.h"

namespace ssa {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::unique_ptr<torch::optim::AdamW> make_optimizer(const DecoderModel& model,
                                                    const OptimSettings& o) {
  auto options = [&](double decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model.parameters(true), options(o.weight_decay));
  groups.emplace_back(model.parameters(false), options(0.0));
  return std::make_unique<torch::optim::AdamW>(groups, *options(o.weight_decay));
}

// The model a run starts from: a fresh one, or a checkpoint; gains gist rows
// (mean-initialised) when its vocabulary lacks them.
DecoderModel initial_model(const TrainConfig& c, ProgressBar& bar) {
  DecoderModel model = c.has_model ? DecoderModel(c.model, c.seed) : load_checkpoint(c.init);
  const int64_t needed = c.ssa.enabled ? c.ssa.layout.gist_token_base + c.ssa.layout.top_level() + 1
                                       : ByteTokenizer::kGistBase;
  if (model.config().vocab_size < needed) {
    bar.note(message("adding ", needed - model.config().vocab_size,
                     " special-token rows (gists), initialised to the mean of the existing rows"));
    resize_vocabulary(model, needed);
  }
  model.mutable_config().ssa = c.ssa;  // the checkpoint records the layout it was trained with
  ModelConfig& config = model.mutable_config();  // the byte tokenizer's special ids
  if (config.bos_token_id < 0) config.bos_token_id = ByteTokenizer::kBos;
  if (config.eos_token_id < 0) config.eos_token_id = ByteTokenizer::kEos;
  if (config.pad_token_id < 0) config.pad_token_id = ByteTokenizer::kPad;
  return model;
}

// A continuation must lay positions out as its init checkpoint was trained
// (ssa.position_ids): the training config's ssa block replaces the checkpoint's.
void check_init_positions(const TrainConfig& c) {
  if (c.has_model || !c.ssa.enabled) return;
  const fs::path config = fs::path(c.init) / "config.json";
  if (!fs::exists(config)) return;  // load_checkpoint says what is missing
  const ModelConfig init = load_model_config(config.string());
  if (!init.ssa.enabled || init.ssa.layout.positions == c.ssa.layout.positions) return;
  throw std::invalid_argument(
      message(c.source, ": ssa.position_ids is \"", position_scheme_name(c.ssa.layout.positions),
              "\" but the init checkpoint ", c.init, " was trained with \"",
              position_scheme_name(init.ssa.layout.positions), "\" positions; say \"",
              position_scheme_name(init.ssa.layout.positions), "\" in the ssa block"));
}

// The model and optimizer state into a checkpoint directory.
void write_resumable(const DecoderModel& model, const torch::optim::AdamW& optimizer,
                     const std::string& dir) {
  save_checkpoint(model, dir, at::kFloat);
  torch::save(optimizer, dir + "/optimizer.pt");
}

// The folder a run may write to: refused before anything is loaded.
void check_folder(const RunFolder& folder, const TrainOptions& o) {
  struct stat st;
  if (::stat(folder.dir().c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    throw std::invalid_argument(message("--out ", folder.dir(), ": is a file, not a folder"));
  if (o.resume && o.force)
    throw std::invalid_argument("--resume and --force: give one (continue, or start afresh)");
  if (o.stop_after < -1) throw std::invalid_argument("--stop-after must be >= 0");
  if (!o.resume && !o.force && folder.holds_run())
    throw std::invalid_argument(message("--out ", folder.dir(),
                                        ": already holds a training run; continue it with "
                                        "--resume, or start afresh (its files go) with --force"));
}

// The checkpoint's step, checked against the config (--resume).
int64_t resume_step(const RunFolder& folder, const TrainConfig& c) {
  const int64_t step = folder.checkpoint_step();
  if (step < 0)
    throw std::invalid_argument(
        message("--resume: ", folder.dir(), " has no checkpoint to continue from"));
  if (step > c.steps)
    throw std::runtime_error(message(folder.checkpoint_dir(), "/trainer_state.json: step ", step,
                                     " is beyond the config's ", c.steps, " steps"));
  return step;
}

}  // namespace

int64_t checkpoint_step(const std::string& out_dir) {
  return RunFolder(out_dir).checkpoint_step();
}

TrainResult train(const TrainConfig& c, const TrainOptions& options, trace::Observer* observer) {
  if (options.out_dir.empty())
    throw std::invalid_argument("--out: an output directory is required");
  const std::string device_name = options.device.empty() ? c.device : options.device;
  if (device_name != "cpu" && device_name != "cuda")
    throw std::invalid_argument(
        message("--device: expected cpu or cuda, got \"", device_name, "\""));
  if (device_name == "cuda" && !torch::cuda::is_available())
    throw std::invalid_argument("--device cuda: no CUDA device is available to this LibTorch");
  RunFolder folder(options.out_dir);
  DataParallel* const dp = options.parallel;
  const bool leader = !dp || dp->leader();  // the rank that owns the run folder
  if (leader) check_folder(folder, options);
  int64_t resumed_at = leader && options.resume ? resume_step(folder, c) : 0;
  if (dp) resumed_at = dp->broadcast(resumed_at);
  const c10::Device device = dp ? dp->device() : c10::Device(device_name);
  // This rank's examples of each step (all of them in a single process).
  const StepShard shard =
      shard_step(c.batch_size, c.grad_accum, dp ? dp->rank() : 0, dp ? dp->world_size() : 1);
  const bool bf16 = device.is_cuda();
  if (c.threads > 0) at::set_num_threads(c.threads);
  at::manual_seed(c.seed);
  check_init_positions(c);

  const int64_t stop = options.stop_after >= 0 ? std::min(options.stop_after, c.steps) : c.steps;
  const bool resuming = options.resume;
  ProgressBar bar(resumed_at, stop, c.log_every, options.progress);

  // Everything that can fail on a bad input loads before a file is touched.
  const DataMix mix(c.data);
  // The text is prepared inside `load`, so that rank 0 adds any gist rows
  // before the other ranks copy its shape.
  std::shared_ptr<const ModelText> text;
  const auto load = [&] {
    DecoderModel m = resuming ? load_checkpoint(folder.checkpoint_dir()) : initial_model(c, bar);
    text = prepare_training_text(c, m);  // tokenizer
    return m;
  };
  DecoderModel model = dp ? model_from_leader(*dp, load) : load();
  if (!text) text = prepare_training_text(c, model);  // the other ranks: the rows are there
  model.to(device, at::kFloat);
  if (dp) broadcast_parameters(*dp, model);
  model.set_requires_grad(true);
  if (dp) dp->attach(trainable_parameters(model));
  auto optimizer = make_optimizer(model, c.optim);
  int64_t step = resumed_at;
  if (resuming && leader) {
    const std::string state = folder.checkpoint_dir() + "/optimizer.pt";
    try {
      torch::load(*optimizer, state, device);
    } catch (const std::exception&) {
      // LibTorch's message is a backtrace: say what is wrong instead.
      throw std::runtime_error(
          message(state, ": unreadable optimizer state (missing, truncated or of another model)"));
    }
    bar.note(message("resuming from ", folder.checkpoint_dir(), " at step ", step));
  }
  if (dp && resuming) broadcast_optimizer(*dp, *optimizer);
  try {
    if (leader && !resuming) {
      if (options.force) folder.clear();
      folder.start(c.text);
    }
    if (leader) folder.open_log(resuming ? step : -1);
  } catch (const std::exception& e) {
    throw TrainingFailure(e.what());
  }

  TrainResult result;
  result.first_step = step;
  result.num_parameters = model.num_parameters();
  bar.note(message("training ", model.config().model_type, " with ", result.num_parameters,
                   " parameters on ", device.str(), bf16 ? " (bf16 autocast)" : " (fp32)", ", ",
                   c.ssa.enabled ? c.ssa.layout.hierarchy_name() + " gist mask" : "causal mask",
                   c.selective.enabled ? " + selective suffixes" : "", ", steps ", step, "..", stop,
                   " of ", c.steps));

  const SequenceSettings seq = training_sequences(c, text);
  const ExampleSizer sizer(mix, seq);  // documents sized to fill seq_len
  const EvalSettings eval_settings{c.eval_batches, c.batch_size, c.eval_batches * c.batch_size,
                                   bf16, c.decode_eval};
  const std::vector<at::Tensor> params = model.parameters();
  auto log = [&](const std::string& line) {
    if (!leader) return;
    try {
      folder.log(line);
    } catch (const std::exception& e) {
      throw TrainingFailure(e.what());
    }
  };
  auto run_eval = [&](int64_t at_step) {
    EvalResult e = evaluate(model, mix, seq, eval_settings, at_step);
    bar.note(e.summary());
    log(e.to_json());
    if (observer) observer->on_train_step(trace::TrainStep{at_step, e.loss, 0, 0, 0, true});
    result.evals.push_back(e);
  };
  auto save = [&](int64_t at_step) {
    if (!leader) return;
    try {
      folder.save_checkpoint(
          at_step, [&](const std::string& dir) { write_resumable(model, *optimizer, dir); });
    } catch (const std::exception& e) {
      throw TrainingFailure(message("saving the checkpoint of step ", at_step, ": ", e.what()));
    }
  };
  auto stop_signal = [&] {
    const int own = options.stop_signal ? options.stop_signal->load() : 0;
    return dp ? dp->max(own) : own;  // every rank stops at the same step
  };

  if (observer && c.ssa.enabled) {  // the first example's stream and mask, for the GUI
    const GistLayout layout = example_layout(seq, sizer.sample(Split::kTrain, step, 0));
    observer->on_layout(trace::describe_layout(layout));
    observer->on_mask(
        trace::describe_mask(build_block_mask(layout, MaskSettings{c.ssa.previous_chunks})));
  }

  double tokens = 0, seconds = 0;
  for (; step < stop && !stop_signal(); ++step) {
    const auto start = std::chrono::steady_clock::now();
    const double lr = learning_rate(c.optim, step, c.steps);
    for (auto& group : optimizer->param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    optimizer->zero_grad();
    double step_loss = 0;
    int64_t step_tokens = 0;
    // Accumulation normalises by the whole step's target weight, so that
    // grad_accum x batch_size equals one batch of that size.
    std::vector<TrainingBatch> batches;
    double step_weight = 0;
    for (const std::vector<int64_t>& micro : shard.micro_batches) {
      const std::vector<Example> examples =
          sizer.sample_many(Split::kTrain, step, micro.front(), static_cast<int64_t>(micro.size()));
      batches.push_back(make_batch(examples, seq));
      step_weight += batches.back().loss_weights.sum().item<double>();
    }
    // Ranks normalise by the whole step's weight; the all-reduce averages
    // over ranks, so each rank's share of the normaliser is 1 / world size.
    const int world = dp ? dp->world_size() : 1;
    if (dp) step_weight = dp->sum({step_weight})[0] / world;
    for (const TrainingBatch& batch : batches) {
      if (dp) dp->gradients().sync_next_backward(&batch == &batches.back());
      at::Tensor loss;
      if (c.selective.enabled) {
        const DecoderModel::AttentionHook attend =
            selective_training_hook(batch, MaskSettings{c.ssa.previous_chunks}, c.selective);
        loss = batch_loss(model, batch, bf16, true, &attend, step_weight);
      } else {
        loss = batch_loss(model, batch, bf16, true, nullptr, step_weight);
      }
      loss.backward();
      step_loss += loss.item<double>();
      step_tokens += batch.real_tokens;
    }
    if (dp) {
      dp->gradients().finish();
      const std::vector<double> sums = dp->sum({step_loss, static_cast<double>(step_tokens)});
      step_loss = sums[0] / world;
      step_tokens = static_cast<int64_t>(sums[1]);
    }
    const double max_norm =
        c.optim.clip > 0 ? c.optim.clip : std::numeric_limits<double>::infinity();
    const double grad_norm = torch::nn::utils::clip_grad_norm_(params, max_norm);
    // A diverged step would poison the weights and every later step: stop
    // before the update, with the last checkpoint intact.
    if (!std::isfinite(step_loss) || !std::isfinite(grad_norm))
      throw TrainingFailure(message("step ", step + 1, ": the ",
                                    std::isfinite(step_loss) ? "gradient norm" : "loss", " is ",
                                    std::isfinite(step_loss) ? grad_norm : step_loss,
                                    " (training diverged; lower optim.lr or raise warmup_ratio)"));
    optimizer->step();
    if (device.is_cuda()) torch::cuda::synchronize();
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    tokens += step_tokens;
    seconds += dt;

    const trace::TrainStep record{step + 1, step_loss, lr, step_tokens / dt, grad_norm, false};
    if (observer) observer->on_train_step(record);
    log(json{{"step", record.step},
             {"loss", step_loss},
             {"lr", lr},
             {"grad_norm", grad_norm},
             {"seconds", dt},
             {"tokens_per_second", record.tokens_per_second}}
            .dump());
    result.losses.push_back(step_loss);
    bar.update(step, step_loss, lr, tokens / seconds);
    if (c.eval_every > 0 && (step + 1) % c.eval_every == 0 && step + 1 < stop) run_eval(step + 1);
    if (c.save_every > 0 && (step + 1) % c.save_every == 0 && step + 1 < stop) save(step + 1);
  }
  bar.finish();
  result.last_step = step;
  result.tokens_per_second = seconds > 0 ? tokens / seconds : 0;
  result.interrupted_by = stop_signal();
  if (result.interrupted_by) {  // checkpoint where it stopped; no evaluation, no final model
    save(step);
    return result;
  }
  if (result.losses.size() > 0) run_eval(step);
  save(step);
  if (step == c.steps && leader) {
    try {
      folder.save_model([&](const std::string& dir) {
        save_checkpoint(model, dir, c.save_dtype == "bfloat16" ? at::kBFloat16 : at::kFloat);
        save_training_text(c, *text, dir);  // the tokenizer, gist tokens written in
      });
    } catch (const std::exception& e) {
      throw TrainingFailure(message("saving the final model: ", e.what()));
    }
  }
  return result;
}

}  // namespace ssa
