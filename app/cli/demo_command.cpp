// `ssa-workbench demo --out FILE`: records the demo the GUI opens by default.
//
// A generated passkey document (the answer's byte range known) laid out with
// gists, its question appended as the uncompressed suffix, and the training
// mask as a block description. assets/demo/demo.ssarec is made by this
// command (scripts/make-demo.sh); nothing in it is typed by hand.
#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/recorder.h"
#include "engine/data/rng.h"
#include "engine/data/tasks.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/trace/layout_trace.h"
#include "sessions/writer.h"

namespace ssa::cli {
namespace {

struct DemoOptions {
  std::string out;
  int64_t document_bytes = 6000;
  std::string hierarchy = "chunk4-chunk4";
  int sink = 3;
  int previous = 1;
  uint64_t seed = 1;
};

void run_demo(const DemoOptions& o) {
  if (o.document_bytes < 64) throw UsageError("--bytes must be >= 64");
  if (o.sink < 0) throw UsageError("--sink must be >= 0");
  if (o.previous < 0) throw UsageError("--previous must be >= 0");
  LayoutSettings settings;
  try {
    settings = parse_hierarchy(o.hierarchy);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--hierarchy: {}", e.what()));
  }
  settings.sink = o.sink;
  settings.word_aware = true;

  Rng rng(o.seed);
  const Example example = make_passkey(rng, o.document_bytes);
  const ByteTokenizer tokenizer(settings.num_levels());
  const std::vector<int64_t> document = tokenizer.encode(example.document);
  std::vector<bool> word_starts(document.size(), true);
  for (size_t i = 1; i < document.size(); ++i) {
    word_starts[i] = !(std::isalnum(static_cast<int>(document[i])) &&
                       std::isalnum(static_cast<int>(document[i - 1])));
  }
  GistLayout layout(settings, document, word_starts);
  for (int64_t id : tokenizer.encode(example.prompt)) layout.append(id);

  const auto parent = std::filesystem::absolute(o.out).parent_path();
  if (!std::filesystem::is_directory(parent)) {
    throw UsageError(fmt::format("--out: directory {} does not exist", parent.string()));
  }
  sessions::Writer writer(o.out);
  sessions::RunInfo run;
  run.name = fmt::format("passkey demo, {} (layout and mask)", settings.hierarchy_name());
  run.kind = "layout";
  nlohmann::json config = nlohmann::json::parse(settings.to_json());
  config["task"] = example.kind;
  config["seed"] = o.seed;
  config["previous_chunks"] = o.previous;
  config["answer"] = example.answer;
  // Where the answer lives, as raw-token indices (bytes) and stream positions.
  config["answer_raw_begin"] = example.answer_begin;
  config["answer_raw_end"] = example.answer_end;
  config["answer_stream_begin"] = layout.stream_index(example.answer_begin);
  config["answer_stream_end"] = layout.stream_index(example.answer_end - 1) + 1;
  run.config_json = config.dump();
  run.num_levels = layout.num_levels();
  Recorder recorder(writer, run, [tokenizer](int64_t id) { return tokenizer.token_text(id); });
  recorder.on_layout(trace::describe_layout(layout));
  recorder.on_mask(trace::describe_mask(build_block_mask(layout, {o.previous}, 128)));
  recorder.finish();
  writer.close();
  fmt::print("{}: passkey document of {} bytes -> stream length {} ({}), answer at raw {}..{}\n",
             o.out, document.size(), layout.length(), settings.hierarchy_name(),
             example.answer_begin, example.answer_end);
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Record the demo recording the GUI opens by default");
  cmd->add_option("--out", options->out, "Recording to write (.ssarec)")->required();
  cmd->add_option("--bytes", options->document_bytes, "Document length in bytes (>= 64)");
  cmd->add_option("--hierarchy", options->hierarchy, "Layout, e.g. chunk8 or chunk4-chunk4");
  cmd->add_option("--sink", options->sink, "Attention-sink tokens (>= 0)");
  cmd->add_option("--previous", options->previous, "num_previous_chunks p (>= 0)");
  cmd->add_option("--seed", options->seed, "Seed of the generated passkey document");
  cmd->callback([options] { run_demo(*options); });
}

}  // namespace ssa::cli
