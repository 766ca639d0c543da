#include "app/cli/decode_options.h"

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/cuda.h>
#include <CLI/CLI.hpp>

#include <stdexcept>

#include "app/cli/commands.h"
#include "app/cli/flag_checks.h"
#include "engine/mask/training_mask.h"
#include "engine/model/checkpoint.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa::cli {

void add_decode_flags(CLI::App* cmd, const std::shared_ptr<DecodeFlags>& o) {
  cmd->add_option("--model", o->model, "Checkpoint directory (config.json + model.safetensors)")
      ->required();
  cmd->add_option("--k", o->k, "Chunks (gists) chosen per level");
  cmd->add_flag("--auto-k", o->auto_k,
                "The reference's budget k = n_keys / comp / heads_per_group / c + 1, per step");
  cmd->add_option("--levels", o->levels, "Override the model's H-SSA group sizes C1[,C2...]")
      ->delimiter(',')
      ->each([o](const std::string&) { o->levels_given = true; });
  cmd->add_option("--mode", o->mode, "GQA mode: head, group or independent");
  cmd->add_option("--baseline", o->baseline,
                  "none (SSA selection), full, gist-only, oracle or recency");
  cmd->add_flag("--no-cap", o->no_cap, "k_l = min(k, n_l) instead of the quarter cap");
  cmd->add_option("--top-p", o->top_p, "Choose by softmax mass instead of k (0 = off)")
      ->check(finite_between(0, 1));
  cmd->add_flag(
      "--shadow-full", o->shadow_full,
      "Also measure the full-attention mass the unfolded chunks carry (costs a full pass)");
  cmd->add_flag("--generation-gists", o->generation_gists,
                "Insert gists every c generated tokens (for long generations)");
  cmd->add_option("--device", o->device, "cpu or cuda");
  cmd->add_option("--prefill", o->prefill,
                  "Prefix attention: dense (L x L mask), blocks (block by block) or auto "
                  "(blocks on the CPU; on a GPU dense up to 32768 positions)");
  cmd->add_option("--threads", o->threads,
                  "CPU threads for LibTorch (0: its default; 1 is best on a busy machine)")
      ->check(CLI::Range(0, 1024));
}

DecoderModel load_decode_model(const DecodeFlags& o) {
  if (o.device != "cpu" && o.device != "cuda")
    throw UsageError("--device must be cpu or cuda, got '" + o.device + "'");
  if (o.threads < 0) throw UsageError("--threads must be >= 0");
  if (o.threads > 0) at::set_num_threads(o.threads);
  if (o.device == "cuda" && !torch::cuda::is_available())
    throw UsageError("--device cuda: no CUDA device is available here");
  DecoderModel model = [&] {
    try {
      return load_checkpoint(o.model, o.device == "cuda" ? c10::kCUDA : c10::kCPU);
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());  // a missing or damaged --model: bad input, exit 2
    }
  }();
  if (!model.config().ssa.enabled)
    throw InputError(o.model + "/config.json has no ssa block: not an SSA model");
  return model;
}

DecodePlan plan_decode(const DecodeFlags& o, const DecoderModel& model) {
  if (o.k < 1) throw UsageError("--k must be >= 1");
  if (o.top_p < 0 || o.top_p > 1) throw UsageError("--top-p must be in [0, 1]");
  if (o.prefill != "auto" && o.prefill != "dense" && o.prefill != "blocks")
    throw UsageError("--prefill must be auto, dense or blocks, got '" + o.prefill + "'");
  DecodePlan plan;
  DecodeSettings& settings = plan.settings;
  try {
    settings.mode = parse_gqa_mode(o.mode);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--mode: ") + e.what());
  }
  try {
    settings.baseline = parse_baseline(o.baseline);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--baseline: ") + e.what());
  }
  const ModelConfig& config = model.config();
  plan.layout = config.ssa.layout;
  if (o.levels_given) plan.layout.group_sizes = o.levels;
  if (o.generation_gists) plan.layout.gists_in_generation = true;
  try {
    plan.layout.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--levels: ") + e.what());
  }
  const ByteTokenizer tokenizer(plan.layout.num_levels());
  if (tokenizer.vocab_size() > config.vocab_size) {
    throw UsageError(fmt::format("the model knows {} gist levels; --levels asks for {}",
                                 config.vocab_size - ByteTokenizer::kGistBase,
                                 plan.layout.num_levels()));
  }
  settings.mask.previous_chunks = config.ssa.previous_chunks;
  settings.selection.k = o.k;
  settings.selection.quarter_cap = !o.no_cap;
  settings.selection.top_p = o.top_p;
  settings.shadow_full = o.shadow_full;
  settings.automatic_budget = o.auto_k;
  settings.prefill = o.prefill == "dense"    ? PrefillMode::kDense
                     : o.prefill == "blocks" ? PrefillMode::kBlocks
                                             : PrefillMode::kAuto;
  return plan;
}

void check_decode_layout(const DecodeFlags& o, const GistLayout& layout) {
  if (o.prefill == "dense" && layout.prefix_length() > kMaxDenseMaskLength) {
    throw UsageError(fmt::format(
        "--prefill dense: the prompt's prefix has {} positions, a dense mask at most {} (use "
        "--prefill blocks or auto)",
        layout.prefix_length(), kMaxDenseMaskLength));
  }
}

std::string decode_run_name(const DecodeFlags& o, const DecodePlan& plan) {
  const std::string what =
      plan.layout.hierarchy_name() + (o.auto_k ? " k=auto" : " k=" + std::to_string(o.k));
  switch (plan.settings.baseline) {
    case Baseline::kFull:
      return "full attention";
    case Baseline::kGistOnly:
      return plan.layout.hierarchy_name() + " gist-only";
    case Baseline::kOracle:
      return "oracle " + what;
    case Baseline::kRecency:
      return "recency " + what;
    case Baseline::kNone:
      break;
  }
  return what + " " + o.mode;
}

}  // namespace ssa::cli
