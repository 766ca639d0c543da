// `ssa-workbench eval`: accuracy at a compression ratio. Decodes n generated
// task examples per configuration (method x context x k x levels) with a
// checkpoint, prints the table and writes the results folder the GUI's
// Evaluation panel reads (docs/evaluation.md; the columns: engine/eval/
// results_table.h, their meaning: engine/eval/eval_metrics.h):
//   command.txt   the command, spelled out in full (every option, defaults
//                 included): running it again resumes, skipping the
//                 configurations results.csv already holds
//   results.csv   one row per configuration
//   examples.csv  one row per example; with --record the recording and run
//                 that hold it (recordings/<configuration>.ssarec, one run per
//                 example) and its answering step, where the GUI opens it
//   chart.png     drawn by `ssa-workbench chart DIR` when this binary has the GUI
// Every file is written whole (app/cli/atomic_output.h) after each
// configuration, so an interrupted run keeps what it finished.
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/atomic_output.h"
#include "app/cli/commands.h"
#include "app/cli/decode_options.h"
#include "app/cli/flag_checks.h"
#include "app/cli/recorder.h"
#include "engine/eval/eval_progress.h"
#include "engine/eval/eval_run.h"
#include "engine/eval/results_table.h"
#include "sessions/csv_reader.h"
#include "sessions/writer.h"

extern char** environ;

namespace ssa::cli {
namespace {

namespace fs = std::filesystem;

struct EvalOptions {
  std::string model, task = "passkey", out;
  std::vector<int64_t> contexts{1024, 4096, 8192};
  std::vector<int> ks{2, 4, 8};
  std::vector<std::string> levels;  // empty: the model's own hierarchy
  std::vector<std::string> methods{"ssa", "full", "gist-only", "oracle", "recency"};
  int64_t n = 200;
  uint64_t seed = 1;
  bool record = false;
  int64_t record_examples = 0;  // 0: every example
  bool shadow_full = false;
  std::string device = "cpu", mode = "head";
  int threads = 0;
  std::string fortunes = "/usr/share/games/fortunes";
  bool force = false;
  // For checkpoints without an ssa block (or over it): --layout, --sink, --previous.
  std::shared_ptr<LayoutFlags> layout = std::make_shared<LayoutFlags>();
};

const std::map<std::string, std::string> kMethodBaseline = {{"ssa", "none"},
                                                            {"full", "full"},
                                                            {"gist-only", "gist-only"},
                                                            {"oracle", "oracle"},
                                                            {"recency", "recency"}};

template <typename T>
std::string joined(const std::vector<T>& items, const char* sep = ",") {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) text += (i ? sep : "") + fmt::format("{}", items[i]);
  return text;
}

std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-.,/:=+@%") == std::string::npos)
    return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The command in full: what command.txt holds and resuming compares.
std::string canonical_command(const EvalOptions& o) {
  std::vector<std::string> w{"ssa-workbench", "eval",      "--model",    o.model,
                             "--task",        o.task,      "--contexts", joined(o.contexts),
                             "--k",           joined(o.ks)};
  if (!o.levels.empty()) w.insert(w.end(), {"--levels", joined(o.levels)});
  w.insert(w.end(), {"--methods", joined(o.methods), "--n", std::to_string(o.n), "--seed",
                     std::to_string(o.seed), "--out", o.out});
  if (o.record) w.push_back("--record");
  if (o.record_examples > 0)
    w.insert(w.end(), {"--record-examples", std::to_string(o.record_examples)});
  if (o.shadow_full) w.push_back("--shadow-full");
  w.insert(w.end(), {"--device", o.device, "--mode", o.mode});
  if (o.threads > 0) w.insert(w.end(), {"--threads", std::to_string(o.threads)});
  if (o.task == "multidoc") w.insert(w.end(), {"--fortunes", o.fortunes});
  if (!o.layout->layout.empty()) w.insert(w.end(), {"--layout", o.layout->layout});
  if (o.layout->sink_given) w.insert(w.end(), {"--sink", std::to_string(o.layout->sink)});
  if (o.layout->previous_given)
    w.insert(w.end(), {"--previous", std::to_string(o.layout->previous)});
  std::string line;
  for (const std::string& word : w) line += (line.empty() ? "" : " ") + shell_word(word);
  return line;
}

// One configuration, planned and validated.
struct Config {
  eval::ConfigKey key;
  DecodeFlags flags;
  DecodePlan plan;
  std::string name;  // of its recording file
};

// A --levels item: "8" (SSA with chunk 8) or "4-4" (chunk 4, groups of 4):
// the chunk, then the group sizes.
std::vector<int> parse_levels(const std::string& item) {
  std::vector<int> sizes;
  std::stringstream in(item);
  std::string part;
  while (std::getline(in, part, '-')) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        part.size() > 6)
      throw UsageError("--levels " + item + ": expected sizes joined by '-', e.g. 8 or 4-4");
    sizes.push_back(std::stoi(part));
  }
  if (sizes.empty())
    throw UsageError("--levels " + item + ": expected sizes joined by '-', e.g. 8 or 4-4");
  return sizes;
}

// The group sizes of the deepest --levels item: the model is loaded with
// that many gist levels (a tokenizer model gains the gist tokens it lacks),
// and each configuration decodes with its own.
std::optional<std::vector<int>> deepest_levels(const EvalOptions& o) {
  std::optional<std::vector<int>> deepest;
  for (const std::string& item : o.levels) {
    const std::vector<int> sizes = parse_levels(item);
    if (!deepest || sizes.size() - 1 > deepest->size())
      deepest.emplace(sizes.begin() + 1, sizes.end());
  }
  return deepest;
}

std::string levels_column(const LayoutSettings& layout) {
  if (layout.group_sizes.empty()) return "";
  return fmt::format("{}-{}", layout.chunk, joined(layout.group_sizes, "-"));
}

std::vector<Config> plan_configs(const EvalOptions& o, const DecodeFlags& base,
                                 const DecodeModel& model) {
  std::vector<Config> configs;
  const LayoutSettings& loaded = model.layout.layout;
  std::vector<LayoutSettings> hierarchies;
  if (o.levels.empty()) hierarchies.push_back(loaded);
  for (const std::string& item : o.levels) {
    const std::vector<int> sizes = parse_levels(item);
    if (sizes[0] != loaded.chunk)
      throw UsageError(fmt::format("--levels {}: its first size is the chunk, {} in this model",
                                   item, loaded.chunk));
    LayoutSettings layout = loaded;
    layout.group_sizes.assign(sizes.begin() + 1, sizes.end());
    try {
      layout.validate();
    } catch (const std::invalid_argument& e) {
      throw UsageError("--levels " + item + ": " + e.what());
    }
    hierarchies.push_back(layout);
  }
  DecodeFlags flags = base;
  flags.levels.clear();
  flags.levels_given = false;  // the model was loaded with the deepest; each config sets its own
  for (int64_t context : o.contexts) {
    for (const LayoutSettings& layout : hierarchies) {
      for (const std::string& method : o.methods) {
        const bool chooses = method == "ssa" || method == "oracle" || method == "recency";
        const std::vector<std::optional<int>> ks =
            chooses ? std::vector<std::optional<int>>(o.ks.begin(), o.ks.end())
                    : std::vector<std::optional<int>>{std::nullopt};
        for (const auto& k : ks) {
          Config c;
          c.flags = flags;
          c.flags.baseline = kMethodBaseline.at(method);
          c.flags.k = k.value_or(o.ks.front());
          c.plan = plan_decode(c.flags, model);
          c.plan.layout.group_sizes = layout.group_sizes;
          c.key = {method, o.task, context, k, levels_column(c.plan.layout)};
          c.name = fmt::format("{}_{}_{}", method, o.task, context);
          if (k) c.name += fmt::format("_k{}", *k);
          if (!c.key.levels.empty()) c.name += "_L" + c.key.levels;
          configs.push_back(std::move(c));
        }
      }
    }
  }
  return configs;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rows of a table of ours (header checked), keyed by their first five columns.
std::vector<std::vector<std::string>> read_rows(const fs::path& path, const char* header) {
  if (!fs::exists(path)) return {};
  sessions::CsvTable table;
  try {
    table = sessions::read_csv(path.string());  // every row as wide as the header
  } catch (const sessions::CsvError& e) {
    throw InputError(e.what());
  }
  if (eval::csv_line(table.header) != header)
    throw InputError(path.string() + ": not an eval table (its header differs)");
  return std::move(table.rows);
}

std::vector<std::string> key_of(const std::vector<std::string>& row) {
  return {row.begin(), row.begin() + 5};
}

std::string table_text(const char* header, const std::vector<std::vector<std::string>>& rows) {
  std::string text = std::string(header) + "\n";
  for (const auto& row : rows) text += eval::csv_line(row) + "\n";
  return text;
}

void write_text(const fs::path& path, const std::string& text) {
  AtomicOutput out(path.string(), "--out");
  out.stream() << text;
  out.commit();
}

// The table for a terminal: numbers to 4 significant digits.
std::string display_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> shown{
      sessions::parse_csv(eval::kResultsHeader, "results header").header};
  for (std::vector<std::string> row : rows) {
    for (size_t i = 6; i < row.size(); ++i) {
      if (!row[i].empty()) row[i] = fmt::format("{:.4g}", std::stod(row[i]));
    }
    shown.push_back(std::move(row));
  }
  return eval::aligned_table(shown);
}

// `chart DIR` of this very executable, when it has the GUI's chart command.
void draw_chart(CLI::App& app, const std::string& dir) {
  CLI::App* chart = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() == "chart") chart = sub;
  // A build without the GUI registers its GUI commands as refusals ("no GUI").
  if (!chart || chart->get_description().find("no GUI") != std::string::npos) {
    fmt::print(
        "chart: not drawn (this ssa-workbench has no GUI chart); draw it later with: ssa-workbench "
        "chart {}\n",
        shell_word(dir));
    return;
  }
  std::string self = "/proc/self/exe", name = "chart";
  std::string target = dir;
  char* argv[] = {self.data(), name.data(), target.data(), nullptr};
  pid_t pid = 0;
  int status = 0;
  if (::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, environ) != 0 ||
      ::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fmt::print("chart: not drawn (see above); try again with: ssa-workbench chart {}\n",
               shell_word(dir));
    return;
  }
  fmt::print("chart: {}\n", (fs::path(dir) / "chart.png").string());
}

nlohmann::json run_config(const EvalOptions& o, const Config& c, const Example& example,
                          const eval::EvalPrompt& prompt, int64_t index) {
  const DecodeSettings& s = c.plan.settings;
  return {{"model", o.model},
          {"task", example.kind},
          {"context", c.key.context},
          {"budget", budget_mode_name(s.budget)},
          {"k", c.flags.k},
          {"dense_layers", s.dense_layers},
          {"mode", o.mode},
          {"baseline", c.flags.baseline},
          {"shadow_full", o.shadow_full},
          {"quarter_cap", true},
          {"top_p", 0.0},
          {"seed", o.seed},
          {"eval_example", index},
          {"answer", example.answer},
          {"answer_chunk", prompt.answer_chunk},
          {"layout", nlohmann::json::parse(c.plan.layout.to_json())},
          {"previous_chunks", s.mask.previous_chunks}};
}

void run_eval(CLI::App& app, const EvalOptions& o) {
  if (o.task != "passkey" && o.task != "kv" && o.task != "multidoc")
    throw UsageError("--task must be passkey, kv or multidoc, got '" + o.task + "'");
  for (const std::string& m : o.methods)
    if (!kMethodBaseline.count(m))
      throw UsageError("--methods: '" + m +
                       "' is not one of ssa, full, gist-only, oracle, recency");
  if (std::set<std::string>(o.methods.begin(), o.methods.end()).size() != o.methods.size())
    throw UsageError("--methods names a method twice");
  for (int64_t c : o.contexts)
    if (c < 16 || c > (int64_t(1) << 24))
      throw UsageError(fmt::format("--contexts {}: expected 16 .. 16777216 tokens", c));
  for (int k : o.ks)
    if (k < 1) throw UsageError(fmt::format("--k {}: expected >= 1", k));
  if (o.n < 1) throw UsageError("--n must be >= 1");
  if (o.record_examples > 0 && !o.record) throw UsageError("--record-examples needs --record");
  const fs::path dir = o.out;
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw UsageError("--out " + o.out + ": exists and is not a folder");
  if (!fs::is_directory(fs::absolute(dir).parent_path()))
    throw UsageError("--out " + o.out + ": its parent folder does not exist");

  DecodeFlags base;
  base.model = o.model;
  base.device = o.device;
  base.threads = o.threads;
  base.mode = o.mode;
  base.shadow_full = o.shadow_full;
  base.layout = o.layout;
  if (const auto deepest = deepest_levels(o)) base.levels = *deepest, base.levels_given = true;
  const DecodeModel loaded = load_decode_model(base);
  const DecoderModel& model = loaded.model;
  const ModelText& text = loaded.text;
  const std::vector<Config> configs = plan_configs(o, base, loaded);
  const TextCorpus filler = [&] {
    if (o.task != "multidoc") return TextCorpus{};
    try {
      return load_fortunes(o.fortunes);
    } catch (const std::exception& e) {
      throw InputError("--fortunes " + o.fortunes + ": " + e.what());
    }
  }();
  // Every context must hold the task, and its prompts any prefill the flags ask for.
  for (const Config& c : configs) {
    try {
      const Example first = eval::draw_example(o.task, c.key.context, o.seed, 0, filler, text);
      check_decode_layout(c.flags, eval::eval_prompt(c.plan.layout, text, first).layout);
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--contexts {}: {}", c.key.context, e.what()));
    }
  }

  // Resume: the same command continues; another one needs --force.
  const std::string command = canonical_command(o);
  std::vector<std::vector<std::string>> results, examples;
  if (fs::exists(dir / "command.txt") && !o.force) {
    std::string old = read_file(dir / "command.txt");
    while (!old.empty() && (old.back() == '\n' || old.back() == '\r')) old.pop_back();
    if (old != command)
      throw UsageError("--out " + o.out +
                       " holds the results of another command (its command.txt); use another "
                       "--out, or --force to start it again");
    results = read_rows(dir / "results.csv", eval::kResultsHeader);
    examples = read_rows(dir / "examples.csv", eval::kExamplesHeader);
  }
  std::set<std::vector<std::string>> done;
  for (const auto& row : results) done.insert(key_of(row));
  // Examples of a configuration cut short are decoded again.
  examples.erase(std::remove_if(examples.begin(), examples.end(),
                                [&](const auto& row) { return !done.count(key_of(row)); }),
                 examples.end());

  fs::create_directories(dir);
  if (o.record) fs::create_directories(dir / "recordings");
  write_text(dir / "command.txt", command + "\n");
  if (!done.empty())
    fmt::print(stderr, "eval: resuming {}: {} of {} configurations done\n", o.out, done.size(),
               configs.size());

  int64_t todo = 0;
  for (const Config& c : configs) todo += done.count(c.key.columns()) ? 0 : o.n;
  eval::EvalProgress progress(todo);
  int64_t decoded = 0;
  for (const Config& c : configs) {
    if (done.count(c.key.columns())) continue;
    const std::string what = joined(c.key.columns(), " ");
    const std::string recording = "recordings/" + c.name + ".ssarec";
    const fs::path part = dir / (recording + ".part");
    std::unique_ptr<sessions::Writer> writer;
    if (o.record) {
      sessions::WriterOptions wo;
      wo.replace_existing = true;
      fs::remove(part);
      writer = std::make_unique<sessions::Writer>(part.string(), wo);
    }
    std::vector<eval::ExampleOutcome> outcomes;
    std::vector<std::vector<std::string>> rows;
    for (int64_t i = 0; i < o.n; ++i) {
      progress.update(decoded, what);
      const Example example = eval::draw_example(o.task, c.key.context, o.seed, i, filler, text);
      const eval::EvalPrompt prompt = eval::eval_prompt(c.plan.layout, text, example);
      eval::ExampleOutcome outcome;
      int64_t run = -1;
      if (writer && (o.record_examples == 0 || i < o.record_examples)) {
        sessions::RunInfo info;
        info.name = fmt::format("example {}: {}", i, decode_run_name(c.flags, c.plan));
        info.kind = "decode";
        nlohmann::json config = run_config(o, c, example, prompt, i);
        if (!text.byte_level) {
          // How the text was made, as `record` keeps it.
          config.update(text_config(c.flags, loaded, c.plan));
          config["answer_tokens"] = {example.answer_token_begin, example.answer_token_end};
        }
        info.config_json = config.dump();
        info.num_layers = static_cast<int32_t>(model.config().num_hidden_layers);
        info.num_score_heads = static_cast<int32_t>(c.plan.settings.mode == GqaMode::kGroup
                                                        ? model.config().num_key_value_heads
                                                        : model.config().num_attention_heads);
        info.num_levels = c.plan.layout.num_levels();
        Recorder recorder(*writer, info,
                          [&](int64_t id) { return text.tokenizer->token_text(id); });
        record_run(recorder, [&] {
          outcome = eval::decode_example(model, text, prompt, c.plan.settings, example, &recorder);
        });
        run = recorder.run_id();
      } else {
        outcome = eval::decode_example(model, text, prompt, c.plan.settings, example, nullptr);
      }
      rows.push_back(eval::example_row(c.key, i, outcome, run >= 0 ? recording : "", run));
      outcomes.push_back(std::move(outcome));
      ++decoded;
    }
    if (writer) {
      writer->close();
      fs::rename(part, dir / recording);
    }
    results.push_back(eval::results_row(c.key, eval::summarize(outcomes, c.key.context)));
    examples.insert(examples.end(), rows.begin(), rows.end());
    write_text(dir / "examples.csv", table_text(eval::kExamplesHeader, examples));
    write_text(dir / "results.csv", table_text(eval::kResultsHeader, results));
  }
  progress.update(decoded, "done");
  progress.finish();
  fmt::print("{}", display_table(results));
  fmt::print("results: {}\n", (dir / "results.csv").string());
  draw_chart(app, o.out);
}

}  // namespace

void register_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Accuracy at a compression ratio: SSA against the baselines on generated tasks");
  cmd->add_option("--model", o->model, "Checkpoint directory")->required();
  cmd->add_option("--task", o->task, "passkey, kv or multidoc");
  cmd->add_option("--contexts", o->contexts,
                  "Document lengths in the model's tokens (bytes for the byte-level models), "
                  "e.g. 1024,4096,8192")
      ->delimiter(',');
  cmd->add_option("--k", o->ks, "Chunks chosen per level, e.g. 2,4,8 (ssa, oracle, recency)")
      ->delimiter(',');
  cmd->add_option("--levels", o->levels,
                  "Hierarchies to decode with, e.g. 8,8-4 (the chunk, then H-SSA group sizes; "
                  "default: the model's)")
      ->delimiter(',');
  cmd->add_option("--methods", o->methods, "Any of ssa,full,gist-only,oracle,recency")
      ->delimiter(',');
  cmd->add_option("--n", o->n, "Examples per configuration");
  cmd->add_option("--seed", o->seed, "Seed of the generated examples")->check(seed_number());
  cmd->add_option("--out", o->out, "Results folder (resumed when it holds this command)")
      ->required();
  cmd->add_flag("--record", o->record,
                "One recording per configuration (recordings/), one run per example");
  cmd->add_option("--record-examples", o->record_examples,
                  "With --record: record the first N examples only (0: all)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 30));
  cmd->add_flag("--shadow-full", o->shadow_full,
                "Measure the full-attention mass the unfolded chunks carry (coverage columns)");
  cmd->add_option("--device", o->device, "cpu or cuda");
  cmd->add_option("--mode", o->mode, "GQA mode: head, group or independent");
  cmd->add_option("--threads", o->threads, "CPU threads for LibTorch (0: its default)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--fortunes", o->fortunes, "Fortune files: multidoc's distractor text");
  cmd->add_flag("--force", o->force, "Start again in an --out that holds another command");
  add_layout_flags(cmd, o->layout);
  cmd->callback([&app, o] { run_eval(app, *o); });
}

}  // namespace ssa::cli
