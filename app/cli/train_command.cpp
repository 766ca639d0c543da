// `ssa-workbench train`: continued pretraining with gist masks (engine/train).
//
//   ssa-workbench train --config assets/configs/tiny-cpu.json [--device cpu|cuda]
//                       [--out DIR] [--record RUN.ssarec] [--resume] [--stop-after STEP]
//
// Prints a progress bar on stderr and a summary on stdout; the run's files
// (log, checkpoints, final model) go to --out (default out/<config name>).
// --record also writes the run (training curve, evaluations, the first
// example's layout) into a session recording through the Recorder.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/recorder.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/train/trainer.h"

namespace ssa::cli {
namespace {

struct TrainArgs {
  std::string config;
  std::string device;
  std::string out;
  std::string record;
  bool resume = false;
  int64_t stop_after = -1;
};

void run_train(const TrainArgs& args) {
  TrainConfig config;
  try {
    config = load_train_config(args.config);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  TrainOptions options;
  options.device = args.device;
  options.out_dir =
      args.out.empty() ? "out/" + std::filesystem::path(args.config).stem().string() : args.out;
  options.resume = args.resume;
  options.stop_after = args.stop_after;
  std::unique_ptr<sessions::Writer> writer;
  std::unique_ptr<Recorder> recorder;
  if (!args.record.empty()) {
    const ModelConfig model =
        config.has_model ? config.model : load_model_config(config.init + "/config.json");
    sessions::RunInfo run;
    run.name = "train " + std::filesystem::path(args.config).stem().string();
    run.kind = "train";
    run.config_json = nlohmann::json::parse(config.text).dump();
    run.num_layers = static_cast<int32_t>(model.num_hidden_layers);
    run.num_score_heads = static_cast<int32_t>(model.num_attention_heads);
    run.num_levels = config.ssa.enabled ? config.ssa.layout.num_levels() : 0;
    const ByteTokenizer tokenizer(config.ssa.enabled ? config.ssa.layout.num_levels() : 1);
    writer = std::make_unique<sessions::Writer>(args.record);
    recorder = std::make_unique<Recorder>(
        *writer, run, [tokenizer](int64_t id) { return tokenizer.token_text(id); });
  }
  TrainResult result;
  try {
    result = train(config, options, recorder.get());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (recorder) {
    recorder->finish();
    writer->close();
    std::printf("recorded the run in %s\n", args.record.c_str());
  }
  if (result.losses.empty()) {
    std::printf("nothing to do: %s is already at step %lld\n", options.out_dir.c_str(),
                static_cast<long long>(result.last_step));
    return;
  }
  std::printf("trained steps %lld..%lld: loss %.4f -> %.4f, %.0f tokens/s\n",
              static_cast<long long>(result.first_step), static_cast<long long>(result.last_step),
              result.losses.front(), result.losses.back(), result.tokens_per_second);
  if (!result.evals.empty()) std::printf("%s\n", result.evals.back().summary().c_str());
  std::printf("outputs in %s (train_log.jsonl, checkpoint/%s)\n", options.out_dir.c_str(),
              result.last_step == config.steps ? ", model/" : "");
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd =
      app.add_subcommand("train", "Train a model with gist masks (SSA / H-SSA) from a JSON config");
  cmd->add_option("--config", args->config, "training config JSON (see assets/configs/)")
      ->required();
  cmd->add_option("--device", args->device, "cpu or cuda (default: the config's train.device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--out", args->out, "output directory (default: out/<config name>)");
  cmd->add_option("--record", args->record, "also record the run into this session file");
  cmd->add_flag("--resume", args->resume, "continue from <out>/checkpoint when it exists");
  cmd->add_option("--stop-after", args->stop_after,
                  "stop at this step; the schedule keeps the config's length (resume later)");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace ssa::cli
