// `ssa-workbench record`: prefill + greedy decode of a generated task with a
// trained model, every decision recorded into a .ssarec file.
//
// The sequence is built as in training (engine/train/training_batch.h):
// [BOS] + document laid out with gists, then the task's prompt as the
// uncompressed suffix; generation continues from there.
#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/decode_options.h"
#include "app/cli/flag_checks.h"
#include "app/cli/recorder.h"
#include "engine/data/rng.h"
#include "engine/data/tasks.h"
#include "engine/data/text_corpus.h"
#include "engine/decode/decode_session.h"
#include "engine/decode/generation.h"
#include "engine/decode/task_prompt.h"
#include "engine/mask/block_mask.h"
#include "engine/model/checkpoint.h"
#include "engine/trace/layout_trace.h"
#include "sessions/writer.h"

namespace ssa::cli {
namespace {

struct RecordOptions {
  std::shared_ptr<DecodeFlags> decode = std::make_shared<DecodeFlags>();
  std::string task = "passkey";
  int64_t context = 2048;
  int64_t steps = 16;
  uint64_t seed = 1;
  std::string out;
  std::string name;
};

Example make_task(const RecordOptions& o, Rng& rng) {
  if (o.task == "passkey") return make_passkey(rng, o.context);
  if (o.task == "kv") return make_multikey(rng, o.context);
  if (o.task == "multidoc") return make_multidoc(rng, o.context, load_fortunes(), Split::kHeldOut);
  if (o.task == "text") return make_text(rng, o.context, load_fortunes(), Split::kHeldOut);
  throw UsageError("--task must be passkey, kv, multidoc or text, got '" + o.task + "'");
}

void run_record(const RecordOptions& o) {
  if (o.context < 16) throw UsageError("--context must be >= 16 bytes");
  if (o.steps < 1) throw UsageError("--steps must be >= 1");
  const auto parent = std::filesystem::absolute(o.out).parent_path();
  if (!std::filesystem::is_directory(parent)) {
    throw UsageError(fmt::format("--out: directory {} does not exist", parent.string()));
  }
  const DecodeFlags& flags = *o.decode;
  const DecoderModel model = load_decode_model(flags);
  const ModelConfig& config = model.config();
  const DecodePlan plan = plan_decode(flags, model);
  const LayoutSettings& layout_settings = plan.layout;
  const DecodeSettings& settings = plan.settings;
  const ByteTokenizer tokenizer(layout_settings.num_levels());

  Rng rng(o.seed);
  const Example example = make_task(o, rng);
  const GistLayout layout = prompt_layout(layout_settings, example.document, example.prompt);
  check_decode_layout(flags, layout);
  const int64_t answer = answer_chunk(layout, example);

  sessions::Writer writer(o.out);
  sessions::RunInfo run;
  run.name = !o.name.empty() ? o.name : decode_run_name(flags, plan);
  run.kind = "decode";
  nlohmann::json run_config = {{"model", flags.model},
                               {"task", example.kind},
                               {"context", o.context},
                               {"budget", budget_mode_name(settings.budget)},
                               {"k", flags.k},
                               {"dense_layers", settings.dense_layers},
                               {"mode", flags.mode},
                               {"baseline", flags.baseline},
                               {"shadow_full", flags.shadow_full},
                               {"quarter_cap", !flags.no_cap},
                               {"top_p", flags.top_p},
                               {"seed", o.seed},
                               {"answer", example.answer},
                               {"answer_chunk", answer},
                               {"layout", nlohmann::json::parse(layout_settings.to_json())},
                               {"previous_chunks", settings.mask.previous_chunks}};
  run.config_json = run_config.dump();
  run.num_layers = static_cast<int32_t>(config.num_hidden_layers);
  run.num_score_heads = static_cast<int32_t>(
      settings.mode == GqaMode::kGroup ? config.num_key_value_heads : config.num_attention_heads);
  run.num_levels = layout_settings.num_levels();
  Recorder recorder(writer, run, [tokenizer](int64_t id) { return tokenizer.token_text(id); });
  recorder.on_layout(trace::describe_layout(layout));
  recorder.on_mask(trace::describe_mask(build_block_mask(layout, settings.mask, 128)));

  DecodeSession session(model, layout, settings, &recorder);
  GenerationOptions generation;
  generation.max_tokens = o.steps;
  // Full attention unfolds nothing; gist-only never unfolds either (reported as 0).
  generation.answer_chunk = settings.baseline == Baseline::kFull ? -1 : answer;
  const std::vector<int64_t> tokens = generate_greedy(session, tokenizer, generation, &recorder);
  // The layout now includes the generated tokens (and any generation gists):
  // record it again for the GUI, and the mask with it when gists were placed.
  recorder.on_layout(trace::describe_layout(session.layout()));
  if (layout_settings.gists_in_generation) {
    recorder.on_mask(trace::describe_mask(build_block_mask(session.layout(), settings.mask, 128)));
  }
  recorder.finish();
  writer.close();
  fmt::print("{}: {} ({} stream positions, answer chunk {}): generated \"{}\" (expected \"{}\")\n",
             o.out, run.name, session.layout().length(), answer, tokenizer.decode(tokens),
             example.answer);
}

}  // namespace

void register_record_command(CLI::App& app) {
  auto o = std::make_shared<RecordOptions>();
  CLI::App* cmd = app.add_subcommand("record", "Prefill + decode a task and record every decision");
  add_decode_flags(cmd, o->decode);
  cmd->add_option("--task", o->task, "passkey, kv, multidoc or text");
  cmd->add_option("--context", o->context, "Document length in bytes")
      ->check(CLI::Range(int64_t(16), int64_t(1) << 24));
  cmd->add_option("--steps", o->steps, "Tokens to generate");
  cmd->add_option("--seed", o->seed, "Seed of the generated task")->check(seed_number());
  cmd->add_option("--name", o->name, "Run name shown in the GUI");
  cmd->add_option("--out", o->out, "Recording to write or append to (.ssarec)")->required();
  cmd->callback([o] { run_record(*o); });
}

}  // namespace ssa::cli
