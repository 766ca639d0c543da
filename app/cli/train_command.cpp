// `ssa-workbench train`: continued pretraining with gist masks (engine/train).
//
//   ssa-workbench train --config assets/configs/tiny-cpu.json [--device cpu|cuda]
//                       [--out DIR] [--record RUN.ssarec] [--resume | --force]
//                       [--stop-after STEP]
//                       [--nproc N | --rank R --world-size W --master-addr A --master-port P]
//
// Prints a progress bar on stderr and a summary on stdout; the run's files
// (log, checkpoints, final model) go to --out (default out/<config name>),
// which must not hold a run already unless --resume continues it or --force
// starts it afresh. --record also writes the run (training curve,
// evaluations, the first example's layout) into a session recording; a
// resumed run continues the same recording run. SIGINT / SIGTERM stop after
// the step in progress with a checkpoint there (exit 130 / 143); --resume
// continues. A loss that turns NaN fails the run (exit 1), recorded as failed.
// Several ranks (data-parallel, app/cli/train_launch.h): rank 0 writes --out,
// --record, the summary and the progress bar; the others train silently.
#include <signal.h>
#include <sys/stat.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "app/cli/atomic_output.h"
#include "app/cli/commands.h"
#include "app/cli/flag_checks.h"
#include "app/cli/recorder.h"
#include "app/cli/train_launch.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/train/trainer.h"
#include "sessions/reader.h"

namespace ssa::cli {
namespace {

struct TrainArgs {
  std::string config;
  std::string device;
  std::string out;
  std::string record;
  bool resume = false;
  bool force = false;
  int64_t stop_after = -1;
  LaunchFlags launch;
};

// The signal that asked the run to stop (0: none). A lock-free atomic is
// what a handler may touch.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
}

// Until the run returns: the first SIGINT/SIGTERM asks it to stop cleanly,
// a second one (SA_RESETHAND) kills at once.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

// <out>/recording.json: which recording and run this training writes, so
// that --resume continues that run.
struct RecordingLink {
  std::string recording;
  int64_t run_id = -1;
};

std::string link_path(const std::string& out) {
  return (std::filesystem::path(out) / "recording.json").string();
}

RecordingLink read_link(const std::string& out) {
  RecordingLink link;
  std::ifstream in(link_path(out));
  if (!in) return link;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    link.recording = j.at("recording").get<std::string>();
    link.run_id = j.at("run_id").get<int64_t>();
  } catch (const std::exception&) {
    return RecordingLink{};  // unreadable: the resumed run records a new run
  }
  return link;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// The Observer train() reports to: opens the recording on the first report,
// which comes only once the config, data and model have loaded and the run
// folder is ready, so that a refused run writes no recording either.
class LazyRecorder : public trace::Observer {
 public:
  LazyRecorder(const TrainArgs& args, const TrainConfig& config, const std::string& out,
               int64_t resume_step)
      : args_(args), config_(config), out_(out), resume_step_(resume_step) {}

  Recorder* recorder() { return recorder_.get(); }
  sessions::Writer* writer() { return writer_.get(); }

  void on_layout(const trace::LayoutInfo& l) override { open().on_layout(l); }
  void on_mask(const trace::MaskInfo& m) override { open().on_mask(m); }
  void on_train_step(const trace::TrainStep& s) override { open().on_train_step(s); }

 private:
  Recorder& open() {
    if (recorder_) return *recorder_;
    const int levels = config_.ssa.enabled ? config_.ssa.layout.num_levels() : 1;
    const ByteTokenizer tokenizer(levels);
    Recorder::PieceFn pieces = [tokenizer](int64_t id) { return tokenizer.token_text(id); };
    writer_ = std::make_unique<sessions::Writer>(args_.record);
    const RecordingLink link = args_.resume ? read_link(out_) : RecordingLink{};
    if (link.run_id >= 0 && same_file(link.recording, args_.record) &&
        sessions::Reader(args_.record).run(link.run_id)) {
      recorder_ = std::make_unique<Recorder>(*writer_, link.run_id, resume_step_, pieces);
    } else {
      const ModelConfig model =
          config_.has_model ? config_.model : load_model_config(config_.init + "/config.json");
      sessions::RunInfo run;
      run.name = "train " + std::filesystem::path(args_.config).stem().string();
      run.kind = "train";
      run.config_json = nlohmann::json::parse(config_.text).dump();
      run.num_layers = static_cast<int32_t>(model.num_hidden_layers);
      run.num_score_heads = static_cast<int32_t>(model.num_attention_heads);
      run.num_levels = config_.ssa.enabled ? levels : 0;
      recorder_ = std::make_unique<Recorder>(*writer_, run, pieces);
    }
    AtomicOutput file(link_path(out_), "--out");
    file.stream()
        << nlohmann::json{{"recording", args_.record}, {"run_id", recorder_->run_id()}}.dump()
        << "\n";
    file.commit();
    return *recorder_;
  }

  const TrainArgs& args_;
  const TrainConfig& config_;
  std::string out_;
  int64_t resume_step_;
  std::unique_ptr<sessions::Writer> writer_;
  std::unique_ptr<Recorder> recorder_;
};

// What --record names must be a recording (or not exist yet) in a folder
// that exists: checked before the run starts.
void check_record_path(const std::string& path, const std::string& config) {
  refuse_output_onto_input(path, "--record", {config});
  const auto parent = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(parent))
    throw UsageError("--record " + path + ": the folder " + parent.string() + " does not exist");
  if (std::filesystem::exists(path)) {
    try {
      sessions::Reader check(path);
    } catch (const sessions::Error& e) {
      throw InputError(std::string("--record: ") + e.what());
    }
  }
}

// One process's part: the whole run, or rank dp->rank() of it.
void train_as(const TrainArgs& args, const TrainConfig& config, DataParallel* dp) {
  const bool leader = !dp || dp->leader();
  TrainOptions options;
  options.parallel = dp;
  options.progress = leader;
  options.device = args.device;
  options.out_dir =
      args.out.empty() ? "out/" + std::filesystem::path(args.config).stem().string() : args.out;
  options.resume = args.resume;
  options.force = args.force;
  options.stop_after = args.stop_after;
  options.stop_signal = &g_stop_signal;
  int64_t resume_step = -1;
  try {
    if (args.resume && leader) resume_step = checkpoint_step(options.out_dir);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  if (!args.record.empty() && leader) check_record_path(args.record, args.config);
  LazyRecorder observer(args, config, options.out_dir, resume_step);
  TrainResult result;
  {
    const StopSignals signals;
    try {
      result = train(config, options, args.record.empty() || !leader ? nullptr : &observer);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    } catch (const TrainingFailure& e) {
      if (observer.recorder()) observer.recorder()->fail(e.what());
      throw RunFailure(e.what());
    } catch (const std::runtime_error& e) {
      // The config's files (data, init checkpoint), found unusable on loading.
      throw InputError(e.what());
    }
  }
  if (dp) dp->finish();
  if (!leader) {
    if (result.interrupted_by) throw Interrupted("", result.interrupted_by);
    return;
  }
  if (observer.recorder()) {
    if (result.interrupted_by)
      observer.recorder()->leave_incomplete();
    else
      observer.recorder()->finish();
    observer.writer()->close();
    std::printf("recorded the run in %s\n", args.record.c_str());
  }
  if (result.interrupted_by) {
    throw Interrupted("interrupted (" + std::string(strsignal(result.interrupted_by)) +
                          ") after step " + std::to_string(result.last_step) +
                          ": checkpoint saved in " + options.out_dir +
                          "/checkpoint; continue with --resume",
                      result.interrupted_by);
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

void run_train(const TrainArgs& args) {
  TrainConfig config;
  try {
    config = load_train_config(args.config);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  const std::string device = args.device.empty() ? config.device : args.device;
  if (args.launch.nproc > 0) {
    check_world_fits(config.batch_size, config.grad_accum, args.launch.nproc);
    launch_ranks(args.launch, device);
  }
  const std::optional<DistSettings> rank = rank_settings(args.launch);
  if (!rank) return train_as(args, config, nullptr);
  check_world_fits(config.batch_size, config.grad_accum, rank->world_size);
  run_as_rank(*rank, device, [&](DataParallel& dp) { train_as(args, config, &dp); });
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
  auto* resume =
      cmd->add_flag("--resume", args->resume, "continue the run in --out from its checkpoint");
  cmd->add_flag("--force", args->force,
                "start afresh in an --out that holds a run (its run files are removed)")
      ->excludes(resume);
  cmd->add_option("--stop-after", args->stop_after,
                  "stop at this step; the schedule keeps the config's length (resume later)")
      ->check(whole_number_at_least(0));
  add_launch_flags(*cmd, args->launch);
  cmd->callback([args] { run_train(*args); });
}

}  // namespace ssa::cli
