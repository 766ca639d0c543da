// `ssa-workbench tokenize`: text -> token ids, or ids -> text, with a model's tokenizer
// (tokenizer.json, or the byte tokenizer of the project's own models). --chat first wraps
// the text in the model's chat template as one user message. Bad input -- an unreadable or
// broken tokenizer, an unsupported model type or template, text that is not UTF-8, ids
// that are not ids -- is one line on stderr and exit status 2.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode_text.h"

namespace ssa::cli {
namespace {

namespace fs = std::filesystem;

struct TokenizeOptions {
  std::string model_dir, tokenizer_file, text, text_file, decode;
  bool chat = false;
};

std::vector<int64_t> parse_ids(const std::string& list, int64_t vocab_size) {
  std::vector<int64_t> ids;
  std::string word;
  std::istringstream words(list);
  while (words >> word) {
    std::istringstream parts(word);
    for (std::string part; std::getline(parts, part, ',');) {
      if (part.empty()) continue;
      size_t used = 0;
      int64_t id = -1;
      try {
        id = std::stoll(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != part.size() || id < 0)
        throw UsageError("--decode: \"" + part + "\" is not a token id");
      if (id >= vocab_size)
        throw UsageError(
            fmt::format("--decode: id {} is outside the vocabulary (0..{})", id, vocab_size - 1));
      ids.push_back(id);
    }
  }
  return ids;
}

std::string read_text_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("--text-file: cannot read " + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void run_tokenize(const TokenizeOptions& o, bool has_text, bool has_text_file, bool has_decode) {
  if (o.model_dir.empty() == o.tokenizer_file.empty())
    throw UsageError("tokenize: give --model DIR or --tokenizer FILE");
  if (int(has_text) + int(has_text_file) + int(has_decode) != 1)
    throw UsageError("tokenize: give one of --text, --text-file, --decode");
  if (o.chat && has_decode) throw UsageError("--chat applies to text, not to --decode");
  const fs::path folder =
      o.model_dir.empty() ? fs::path(o.tokenizer_file).parent_path() : fs::path(o.model_dir);
  try {
    if (!o.model_dir.empty() && !fs::is_directory(o.model_dir))
      throw UsageError("--model: " + o.model_dir + " is not a folder");
    if (!o.tokenizer_file.empty() && !fs::is_regular_file(o.tokenizer_file))
      throw UsageError("--tokenizer: " + o.tokenizer_file + " is not a file");
    const std::unique_ptr<Tokenizer> tokenizer =
        o.model_dir.empty() ? load_tokenizer_json(o.tokenizer_file) : load_tokenizer(o.model_dir);
    if (has_decode) {
      const std::string text = tokenizer->decode(parse_ids(o.decode, tokenizer->vocab_size()));
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputc('\n', stdout);
      return;
    }
    std::string text = has_text ? o.text : read_text_file(o.text_file);
    if (auto bad = unicode::first_invalid_byte(text))
      throw UsageError(
          fmt::format("{}: not valid UTF-8 at byte {}", has_text ? "--text" : o.text_file, *bad));
    if (o.chat) text = ChatTemplate::load(folder).render(text);
    std::string line;
    for (int64_t id : tokenizer->encode(text)) {
      if (!line.empty()) line += ' ';
      line += std::to_string(id);
    }
    fmt::print("{}\n", line);
  } catch (const TokenizerError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

void register_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize", "Print the token ids of a text (or decode ids) with a model's tokenizer");
  cmd->add_option("--model", options->model_dir,
                  "model folder: its tokenizer.json, or the byte tokenizer of its config.json");
  cmd->add_option("--tokenizer", options->tokenizer_file, "a tokenizer.json file");
  CLI::Option* text = cmd->add_option("--text", options->text, "the text to encode");
  CLI::Option* text_file =
      cmd->add_option("--text-file", options->text_file, "a file whose text to encode");
  CLI::Option* decode = cmd->add_option("--decode", options->decode,
                                        "token ids to decode (separated by spaces or commas)");
  cmd->add_flag(
      "--chat", options->chat,
      "wrap the text in the model's chat template (one user message, assistant turn opened)");
  cmd->callback([options, text, text_file, decode] {
    run_tokenize(*options, text->count() > 0, text_file->count() > 0, decode->count() > 0);
  });
}

}  // namespace ssa::cli
