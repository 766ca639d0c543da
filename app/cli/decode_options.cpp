#include "app/cli/decode_options.h"

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/cuda.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <stdexcept>

#include "app/cli/commands.h"
#include "app/cli/flag_checks.h"
#include "engine/decode/projection_packing.h"
#include "engine/mask/training_mask.h"
#include "engine/model/checkpoint.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa::cli {

void add_decode_flags(CLI::App* cmd, const std::shared_ptr<DecodeFlags>& o) {
  cmd->add_option("--model", o->model, "Checkpoint directory (config.json + model.safetensors)")
      ->required();
  cmd->add_option("--k", o->k, "Chunks (gists) chosen per level (reference: at levels >= 2)");
  cmd->add_option("--budget", o->budget,
                  "fixed (--k at every level), auto (k = n_keys / comp / heads_per_group / c + 1 "
                  "at every level), reference (that k at levels 0 and 1, --k above, as the "
                  "reference) or top-p (--top-p)");
  cmd->add_option("--dense-layers", o->dense_layers,
                  "First layers that never select and attend to their training-mask row "
                  "(default: the model's ssa.dense_layers, else 1 as the reference; 0: every "
                  "layer selects)")
      ->each([o](const std::string&) { o->dense_layers_given = true; });
  cmd->add_option("--levels", o->levels, "Override the model's H-SSA group sizes C1[,C2...]")
      ->delimiter(',')
      ->each([o](const std::string&) { o->levels_given = true; });
  add_layout_flags(cmd, o->layout);
  cmd->add_flag("--chat", o->chat,
                "Wrap the prompt in the checkpoint's chat template (the question and the "
                "assistant's header stay uncompressed)");
  cmd->add_option("--mode", o->mode, "GQA mode: head, group or independent");
  cmd->add_option("--baseline", o->baseline,
                  "none (SSA selection), full, gist-only, oracle or recency");
  cmd->add_flag("--no-cap", o->no_cap, "k_l = min(k, n_l) instead of the quarter cap");
  cmd->add_option("--top-p", o->top_p, "Softmax mass to reach, with --budget top-p")
      ->check(finite_between(0, 1));
  cmd->add_flag(
      "--shadow-full", o->shadow_full,
      "Also measure the full-attention mass the unfolded chunks carry (costs a full pass)");
  cmd->add_flag("--generation-gists", o->generation_gists,
                "Insert gists every c generated tokens (for long generations)");
  cmd->add_flag("--word-aware", o->word_aware,
                "Word-aware gist placement (a gist moves up to c/2 tokens to a word start); "
                "default: the model's ssa.word_aware, on for a tokenizer model without a block");
  cmd->add_flag("--no-word-aware", o->no_word_aware,
                "Plain gist placement whatever the model says");
  cmd->add_option("--device", o->device, "cpu or cuda");
  cmd->add_option("--prefill", o->prefill,
                  "Prefix attention: dense (L x L mask), blocks (block by block) or auto "
                  "(blocks on the CPU; on a GPU dense up to 32768 positions)");
  cmd->add_option("--threads", o->threads,
                  "CPU threads for LibTorch (0: its default; 1 is best on a busy machine)")
      ->check(CLI::Range(0, 1024));
}

void add_layout_flags(CLI::App* cmd, const std::shared_ptr<LayoutFlags>& o) {
  cmd->add_option("--layout", o->layout,
                  "Gist layout for a checkpoint without an ssa block (chunk16, chunk8, "
                  "chunk4-chunk4, ...; the reference's names); overrides a block");
  cmd->add_option("--sink", o->sink, "Attention sink for --layout (default 3)")
      ->each([o](const std::string&) { o->sink_given = true; });
  cmd->add_option("--previous", o->previous,
                  "Previous chunks every chunk sees (p) for --layout (default 1)")
      ->each([o](const std::string&) { o->previous_given = true; });
}

ResolvedLayout resolve_layout(const LayoutFlags& o, const std::string& model_dir,
                              const ModelConfig& config, bool has_tokenizer) {
  if (!config.has_ssa_block() && o.layout.empty())
    throw UsageError(fmt::format(
        "--layout: {}/config.json has no ssa block, so its gist layout is unknown: give "
        "--layout chunk16 (or chunk8, chunk4-chunk4, ...) [--sink 3 --previous 1]",
        model_dir));
  ResolvedLayout r;
  r.layout = config.ssa.layout;
  r.previous_chunks = config.ssa.previous_chunks;
  r.dense_layers = config.ssa.dense_layers;
  r.from = "ssa block";
  if (!config.has_ssa_block()) {
    // A reference checkpoint: its positions are raw, and the reference lays
    // documents out word-aware whenever it has a tokenizer.
    r.layout = LayoutSettings{};
    r.layout.positions = PositionScheme::kRaw;
    r.layout.word_aware = has_tokenizer;
    r.layout.sink = 3;
    r.previous_chunks = 1;
    r.dense_layers = 1;
    r.from = "flags";
  }
  if (!o.given()) return r;
  const ResolvedLayout block = r;
  if (!o.layout.empty()) {
    LayoutSettings named;
    try {
      named = parse_hierarchy(o.layout);
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--layout {}: {}", o.layout, e.what()));
    }
    r.layout.chunk = named.chunk;
    r.layout.group_sizes = named.group_sizes;
  }
  if (o.sink_given) r.layout.sink = o.sink;
  if (o.previous_given) {
    if (o.previous < 0) throw UsageError("--previous must be >= 0");
    r.previous_chunks = o.previous;
  }
  try {
    r.layout.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--layout: ") + e.what());
  }
  if (config.has_ssa_block()) {
    r.from = "flags over the ssa block";
    fmt::print(stderr,
               "ssa-workbench: the layout flags override the model's ssa block ({}, sink {}, "
               "p {}): using {}, sink {}, p {}\n",
               block.layout.hierarchy_name(), block.layout.sink, block.previous_chunks,
               r.layout.hierarchy_name(), r.layout.sink, r.previous_chunks);
  }
  return r;
}

DecodeModel load_decode_model(const DecodeFlags& o) {
  if (o.device != "cpu" && o.device != "cuda")
    throw UsageError("--device must be cpu or cuda, got '" + o.device + "'");
  if (o.threads < 0) throw UsageError("--threads must be >= 0");
  if (o.threads > 0) at::set_num_threads(o.threads);
  if (o.device == "cuda" && !torch::cuda::is_available())
    throw UsageError("--device cuda: no CUDA device is available here");
  if (!o.layout->layout.empty() && o.levels_given)
    throw UsageError("--levels and --layout exclude each other (--layout names every level)");
  // The layout first (config.json alone): a missing --layout costs no weights.
  namespace fs = std::filesystem;
  const fs::path config_file = fs::path(o.model) / "config.json";
  // A missing or damaged --model is bad input (exit 2), as every other file.
  const auto as_input = [](auto load) {
    try {
      return load();
    } catch (const UsageError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());
    }
  };
  const ResolvedLayout resolved = as_input([&] {
    return fs::is_directory(o.model) && fs::exists(config_file)
               ? resolve_layout(*o.layout, o.model, load_model_config(config_file.string()),
                                fs::exists(fs::path(o.model) / "tokenizer.json"))
               : ResolvedLayout{};
  });
  LoadOptions load;
  load.device = o.device == "cuda" ? c10::Device(c10::kCUDA) : c10::Device(c10::kCPU);
  CheckpointInfo info;
  DecodeModel m{as_input([&] { return load_checkpoint(o.model, load, &info); }), {}, resolved};
  // A tokenizer.json that cannot be read is the first thing to say.
  if (!info.tokenizer_problem.empty()) throw InputError(info.tokenizer_problem);
  // The GPU step's fused q/k/v and gate/up GEMMs then run on views, not copies.
  if (load.device.is_cuda()) pack_projection_weights(m.model);
  LayoutSettings& layout = m.layout.layout;
  if (o.levels_given) {
    layout.group_sizes = o.levels;
    try {
      layout.validate();
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--levels: ") + e.what());
    }
  }
  const int64_t vocab = m.model.config().vocab_size;
  if (!info.tokenizer && layout.gist_token_base + layout.num_levels() > vocab)
    throw UsageError(fmt::format("the model knows {} gist levels; {} asks for {}",
                                 vocab - layout.gist_token_base,
                                 o.levels_given ? "--levels" : "the layout", layout.num_levels()));
  try {
    m.text =
        prepare_model_text(m.model, o.model, info, layout.num_levels(), layout.gist_token_base);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  for (const std::string& note : m.text.notes) fmt::print(stderr, "ssa-workbench: {}\n", note);
  if (m.text.gist_ids[0] != layout.gist_token_base && m.model.config().has_ssa_block())
    fmt::print(stderr,
               "ssa-workbench: ssa.gist_token_base {} differs from the tokenizer's <gist> id {}: "
               "using the tokenizer's\n",
               layout.gist_token_base, m.text.gist_ids[0]);
  layout.gist_token_base = m.text.gist_ids[0];
  return m;
}

nlohmann::json text_config(const DecodeFlags& o, const DecodeModel& m, const DecodePlan& plan) {
  return {{"model", o.model},
          {"tokenizer", m.text.source},
          {"gist_ids", m.text.gist_ids},
          {"bos", m.text.bos},
          {"stop_ids", m.text.stop_ids},
          {"layout_from", m.layout.from},
          {"word_aware", plan.layout.word_aware},
          {"position_ids", position_scheme_name(plan.layout.positions)},
          {"chat", o.chat}};
}

DecodePlan plan_decode(const DecodeFlags& o, const DecodeModel& m) {
  if (o.k < 1) throw UsageError("--k must be >= 1");
  BudgetMode budget;
  try {
    budget = parse_budget_mode(o.budget);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--budget: ") + e.what());
  }
  if (o.top_p < 0 || o.top_p > 1) throw UsageError("--top-p must be in [0, 1]");
  if (budget == BudgetMode::kTopP && o.top_p == 0)
    throw UsageError("--budget top-p needs --top-p P in (0, 1]");
  if (budget != BudgetMode::kTopP && o.top_p != 0)
    throw UsageError("--top-p is used by --budget top-p only (the budget is " + o.budget + ")");
  if (budget == BudgetMode::kReference && o.no_cap)
    throw UsageError("--no-cap: the reference budget always applies the quarter cap");
  if (o.dense_layers_given && o.dense_layers < 0) throw UsageError("--dense-layers must be >= 0");
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
  const ModelConfig& config = m.model.config();
  const int dense_layers = o.dense_layers_given ? o.dense_layers : m.layout.dense_layers;
  if (dense_layers > config.num_hidden_layers) {
    throw UsageError(fmt::format("--dense-layers {}: the model has {} layers", dense_layers,
                                 config.num_hidden_layers));
  }
  plan.layout = m.layout.layout;
  if (o.generation_gists) plan.layout.gists_in_generation = true;
  if (o.word_aware && o.no_word_aware)
    throw UsageError("--word-aware and --no-word-aware exclude each other");
  if (o.word_aware || o.no_word_aware) plan.layout.word_aware = o.word_aware;
  settings.mask.previous_chunks = m.layout.previous_chunks;
  settings.selection.k = o.k;
  settings.selection.quarter_cap = !o.no_cap;
  settings.selection.top_p = o.top_p;
  settings.shadow_full = o.shadow_full;
  settings.budget = budget;
  settings.dense_layers = dense_layers;
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
  const BudgetMode budget = plan.settings.budget;
  const std::string k = budget == BudgetMode::kFixed ? "k=" + std::to_string(o.k)
                        : budget == BudgetMode::kTopP
                            ? fmt::format("top-p={}", o.top_p)
                            : std::string("k=") + budget_mode_name(budget);
  // The model's own dense layers go unsaid; a choice on the command line is named.
  const std::string dense =
      o.dense_layers_given ? fmt::format(" dense={}", plan.settings.dense_layers) : "";
  const std::string what = plan.layout.hierarchy_name() + " " + k;
  switch (plan.settings.baseline) {
    case Baseline::kFull:
      return "full attention";
    case Baseline::kGistOnly:
      return plan.layout.hierarchy_name() + " gist-only";
    case Baseline::kOracle:
      return "oracle " + what + dense;
    case Baseline::kRecency:
      return "recency " + what + dense;
    case Baseline::kNone:
      break;
  }
  return what + " " + o.mode + dense;
}

std::string describe_budget(const DecodeFlags& o, const DecodePlan& plan) {
  std::string budget = std::string("budget ") + budget_mode_name(plan.settings.budget);
  switch (plan.settings.budget) {
    case BudgetMode::kFixed:
      budget += fmt::format(" (k {}{})", o.k, o.no_cap ? ", no quarter cap" : "");
      break;
    case BudgetMode::kAuto:
      budget += " (k = n_keys / comp / heads_per_group / c + 1)";
      break;
    case BudgetMode::kReference:
      budget += fmt::format(" (the formula at levels 0 and 1, k {} above)", o.k);
      break;
    case BudgetMode::kTopP:
      budget += fmt::format(" (p {})", o.top_p);
      break;
  }
  return budget + fmt::format(", dense layers {}", plan.settings.dense_layers);
}

}  // namespace ssa::cli
