// `ssa-workbench generate`: compress a prompt with gists, decode greedily with
// selective attention (or a baseline), and print the text as it comes.
//
// The prompt is laid out as training lays out a document ([BOS] + text with
// gists); --question, when given, is appended uncompressed after it, like a
// task's question. With --stats every step's cost and unfolded chunks go to
// stderr, and the text, whole, to stdout at the end (the streams would
// interleave on a terminal).
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/decode_options.h"
#include "engine/decode/decode_session.h"
#include "engine/decode/generation.h"
#include "engine/decode/task_prompt.h"
#include "engine/tokenizer/byte_tokenizer.h"

namespace ssa::cli {
namespace {

struct GenerateOptions {
  std::shared_ptr<DecodeFlags> decode = std::make_shared<DecodeFlags>();
  std::string prompt;
  std::string prompt_file;
  std::string question;
  int64_t max_tokens = 64;
  bool stats = false;
};

// Streams each produced piece to stdout; with stats, one line per step to stderr.
class Printer : public trace::Observer {
 public:
  Printer(const DecodeSession& session, bool stats) : session_(session), stats_(stats) {}

  // The text held back with --stats.
  const std::string& text() const { return text_; }

  void on_decode_step(const trace::DecodeStep& step) override {
    if (step.token_id != ByteTokenizer::kEos) {
      if (stats_) {
        text_ += step.text;  // printed at the end, so the two streams do not interleave
      } else {
        std::fwrite(step.text.data(), 1, step.text.size(), stdout);
        std::fflush(stdout);
      }
    }
    if (!stats_) return;
    const std::vector<int64_t>& chunks = session_.last_unfolded_chunks();
    std::string unfolded;
    for (size_t i = 0; i < chunks.size() && i < 24; ++i)
      unfolded += (unfolded.empty() ? "" : ",") + std::to_string(chunks[i]);
    if (chunks.size() > 24) unfolded += fmt::format(" +{} more", chunks.size() - 24);
    const std::string coverage =
        step.full_mass_coverage >= 0 ? fmt::format("{:.3f}", step.full_mass_coverage) : "-";
    fmt::print(stderr,
               "step {:4d}  token {:>6}  {:8.2f} ms  scored {:6d}  read {:6d}  coverage {}  "
               "unfolded chunks [{}]\n",
               step.step, step.token_id == ByteTokenizer::kEos ? "<eos>" : printable(step.text),
               step.seconds * 1e3, step.keys_scored, step.keys_read, coverage, unfolded);
  }

 private:
  static std::string printable(const std::string& text) {
    if (text == "\n") return "\\n";
    if (text == " ") return "' '";
    return text;
  }
  const DecodeSession& session_;
  bool stats_;
  std::string text_;
};

std::string read_prompt(const GenerateOptions& o) {
  if (!o.prompt.empty() && !o.prompt_file.empty())
    throw UsageError("give --prompt or --prompt-file, not both");
  if (o.prompt_file.empty()) {
    if (o.prompt.empty()) throw UsageError("--prompt (or --prompt-file) must not be empty");
    return o.prompt;
  }
  std::ifstream in(o.prompt_file, std::ios::binary);
  if (!in) throw InputError("--prompt-file: cannot read " + o.prompt_file);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty()) throw UsageError("--prompt-file: " + o.prompt_file + " is empty");
  return text.str();
}

void run_generate(const GenerateOptions& o) {
  if (o.max_tokens < 1) throw UsageError("--max-tokens must be >= 1");
  const std::string prompt = read_prompt(o);
  const DecodeFlags& flags = *o.decode;
  const DecoderModel model = load_decode_model(flags);
  const DecodePlan plan = plan_decode(flags, model);
  const ByteTokenizer tokenizer(plan.layout.num_levels());
  const GistLayout layout = prompt_layout(plan.layout, prompt, o.question);
  check_decode_layout(flags, layout);

  DecodeSession session(model, layout, plan.settings);
  Printer printer(session, o.stats);
  GenerationOptions generation;
  generation.max_tokens = o.max_tokens;
  if (o.stats) {
    fmt::print(stderr, "{}: {}; {} bytes -> {} stream positions ({} in the prefix)\n",
               decode_run_name(flags, plan), describe_budget(flags, plan),
               prompt.size() + o.question.size(), layout.length(), layout.prefix_length());
  }
  generate_greedy(session, tokenizer, generation, &printer);
  std::fwrite(printer.text().data(), 1, printer.text().size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "generate", "Compress a prompt with gists and print the model's continuation");
  add_decode_flags(cmd, o->decode);
  cmd->add_option("--prompt", o->prompt, "Text to compress (the document)");
  cmd->add_option("--prompt-file", o->prompt_file, "Read the prompt from this file");
  cmd->add_option("--question", o->question, "Text appended uncompressed after the prompt");
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens to generate (stops at EOS)");
  cmd->add_flag("--stats", o->stats, "Per step to stderr: time, keys scored/read, unfolded chunks");
  cmd->callback([o] { run_generate(*o); });
}

}  // namespace ssa::cli
