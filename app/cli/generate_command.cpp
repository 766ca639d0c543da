// `ssa-workbench generate`: compress a prompt with gists, decode greedily with
// selective attention (or a baseline), and print the text as it comes.
//
// The prompt (any text, tokenized by the model's tokenizer) is laid out as
// training lays out a document ([BOS] + text with gists); --question, when
// given, is appended uncompressed after it, like a task's question. --chat
// makes prompt + question the user's message of the checkpoint's chat
// template, the question and the assistant's header uncompressed. The text
// is printed through a StreamDecoder (never half a UTF-8 character), stop
// ids (EOS) not. With --stats every step's cost and unfolded chunks go to
// stderr, and the text, whole, to stdout at the end (the streams would
// interleave on a terminal).
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/decode_options.h"
#include "engine/decode/decode_session.h"
#include "engine/decode/generation.h"
#include "engine/decode/task_prompt.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/unicode_text.h"

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

// Streams the text to stdout as it completes; with stats, one line per step to stderr.
class Printer : public trace::Observer {
 public:
  Printer(const DecodeSession& session, const ModelText& text, bool stats)
      : session_(session), text_(text), stream_(*text.tokenizer), stats_(stats) {}

  // The text held back with --stats, and whatever the decoder still holds.
  std::string rest() {
    held_ += stream_.finish();
    return held_;
  }

  void on_decode_step(const trace::DecodeStep& step) override {
    const bool stop = std::find(text_.stop_ids.begin(), text_.stop_ids.end(), step.token_id) !=
                      text_.stop_ids.end();
    if (!stop) {
      const std::string piece = stream_.step(step.token_id);
      if (stats_) {
        held_ += piece;  // printed at the end, so the two streams do not interleave
      } else {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
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
               step.step, stop && text_.byte_level ? "<eos>" : printable(step.text),
               step.seconds * 1e3, step.keys_scored, step.keys_read, coverage, unfolded);
  }

 private:
  static std::string printable(const std::string& text) {
    if (text == "\n") return "\\n";
    if (text == " ") return "' '";
    return text;
  }
  const DecodeSession& session_;
  const ModelText& text_;
  StreamDecoder stream_;
  bool stats_;
  std::string held_;
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
  // A tokenizer model reads UTF-8 only: say so before loading any weights.
  if (std::filesystem::exists(std::filesystem::path(flags.model) / "tokenizer.json")) {
    const std::string flag = o.prompt_file.empty() ? "--prompt" : "--prompt-file " + o.prompt_file;
    if (const auto at = unicode::first_invalid_byte(prompt))
      throw UsageError(fmt::format("{}: not valid UTF-8 at byte {}", flag, *at));
    if (const auto at = unicode::first_invalid_byte(o.question))
      throw UsageError(fmt::format("--question: not valid UTF-8 at byte {}", *at));
  }
  const DecodeModel loaded = load_decode_model(flags);
  const ModelText& text = loaded.text;
  const DecodePlan plan = plan_decode(flags, loaded);
  std::string document = prompt, question = o.question;
  if (flags.chat) {
    try {
      const ChatPrompt chat = chat_prompt(ChatTemplate::load(flags.model), prompt, o.question);
      document = chat.document;
      question = chat.suffix;
    } catch (const TokenizerError& e) {
      throw UsageError(std::string("--chat: ") + e.what());
    }
  }
  std::vector<int64_t> document_ids, question_ids;
  try {
    document_ids = text.tokenizer->encode(document);
    question_ids = text.tokenizer->encode(question);
  } catch (const TokenizerError& e) {
    throw UsageError(std::string(o.prompt_file.empty() ? "--prompt: " : "--prompt-file: ") +
                     e.what());
  }
  const GistLayout layout = prompt_layout(plan.layout, text, document_ids, question_ids);
  check_decode_layout(flags, layout);

  DecodeSession session(loaded.model, layout, plan.settings);
  Printer printer(session, text, o.stats);
  GenerationOptions generation = generation_options(text, loaded.model.config().vocab_size);
  generation.max_tokens = o.max_tokens;
  if (o.stats) {
    fmt::print(stderr, "{}: {}; {} bytes -> {} stream positions ({} in the prefix)\n",
               decode_run_name(flags, plan), describe_budget(flags, plan),
               prompt.size() + o.question.size(), layout.length(), layout.prefix_length());
  }
  generate_greedy(session, *text.tokenizer, generation, &printer);
  const std::string rest = printer.rest();
  std::fwrite(rest.data(), 1, rest.size(), stdout);
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
