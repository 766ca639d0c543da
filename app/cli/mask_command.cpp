// `ssa-workbench mask`: writes a layout's training mask as NumPy files.
//
// Dense form: mask.npy (bool [L, L]); block form (--blocks): the CSR block
// description block_offsets.npy / block_keys.npy / block_kinds.npy. Both also
// write roles.npy, ids.npy, positions.npy and layout.json. Sink and p default
// to the models' defaults (spec, "Defaults": s = 3, p = 1). Every argument is
// checked before anything is written, so a refused call leaves no files.
#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/cli/atomic_output.h"
#include "app/cli/commands.h"
#include "app/cli/npy_writer.h"
#include "app/cli/recorder.h"
#include "engine/layout/gist_layout.h"
#include "engine/layout/word_starts.h"
#include "engine/mask/block_mask.h"
#include "engine/mask/training_mask.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/trace/layout_trace.h"
#include "sessions/writer.h"

namespace ssa::cli {
namespace {

struct MaskOptions {
  int64_t tokens = 0;
  int chunk = 0;
  std::vector<int> levels;
  int sink = 3;      // the spec's default s
  int previous = 1;  // the spec's default p
  std::string positions = "raw";
  std::string out;
  bool blocks = false;
  int block_size = 128;
  std::string text;    // raw tokens = the bytes of this file (else byte values 0, 1, 2, ...)
  std::string record;  // also record the layout and block mask into this .ssarec
  bool word_aware = false;
};

// Raw tokens of a text by the byte tokenizer, and which of them begin a word:
// a byte token's decoded text is its byte (engine/layout/word_starts.h).
struct TextTokens {
  std::vector<int64_t> tokens;
  std::vector<bool> word_starts;
};

TextTokens read_text_tokens(const std::string& path, int64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read --text file " + path);
  TextTokens text;
  char c;
  while (static_cast<int64_t>(text.tokens.size()) < limit && in.get(c))
    text.tokens.push_back(static_cast<unsigned char>(c));
  const ByteTokenizer tokenizer;
  text.word_starts = word_starts(text.tokens, [&](int64_t id) { return tokenizer.token_text(id); });
  if (static_cast<int64_t>(text.tokens.size()) < limit) {
    throw InputError(fmt::format("--text file {} has {} bytes, fewer than --tokens {}", path,
                                 text.tokens.size(), limit));
  }
  return text;
}

LayoutSettings checked_settings(const MaskOptions& o) {
  if (o.tokens < 1) throw UsageError("--tokens must be >= 1");
  if (o.chunk < 1) throw UsageError("--chunk must be >= 1");
  for (int level : o.levels) {
    if (level < 2) throw UsageError(fmt::format("--levels sizes must be >= 2, got {}", level));
  }
  if (o.sink < 0) throw UsageError("--sink must be >= 0");
  if (o.word_aware && o.text.empty())
    throw UsageError("--word-aware needs --text (words of a text)");
  if (o.previous < 0) throw UsageError("--previous must be >= 0");
  if (o.positions != "raw" && o.positions != "stream")
    throw UsageError("--positions must be raw or stream, got '" + o.positions + "'");
  if (o.block_size != 64 && o.block_size != 128) throw UsageError("--block-size must be 64 or 128");
  if (!o.record.empty()) {
    const auto parent = std::filesystem::absolute(o.record).parent_path();
    if (!std::filesystem::is_directory(parent)) {
      throw UsageError(fmt::format("--record: directory {} does not exist", parent.string()));
    }
  }
  LayoutSettings settings;
  settings.chunk = o.chunk;
  settings.group_sizes = o.levels;
  settings.sink = o.sink;
  settings.word_aware = o.word_aware;
  settings.positions = parse_position_scheme(o.positions);
  return settings;
}

void write_layout_json(const std::string& path, const GistLayout& layout, const MaskOptions& o) {
  nlohmann::json j = nlohmann::json::parse(layout.settings().to_json());
  j["previous_chunks"] = o.previous;
  j["raw_tokens"] = layout.num_raw();
  j["length"] = layout.length();
  j["prefix_length"] = layout.prefix_length();
  j["sink_length"] = layout.sink_length();
  std::vector<int64_t> gists;
  for (int l = 0; l < layout.num_levels(); ++l) gists.push_back(layout.num_gists(l));
  j["gists_per_level"] = gists;
  j["roles"] = "0 raw, 1 gist, k+1 meta-gist of level k";
  if (o.blocks) j["block_size"] = o.block_size;
  AtomicOutput out(path, "--out");
  out.stream() << j.dump(2) << "\n";
  out.commit();
}

void record_layout(const MaskOptions& o, const GistLayout& layout, MaskSettings mask_settings) {
  sessions::Writer writer(o.record);
  sessions::RunInfo run;
  run.name = fmt::format("mask {}", layout.settings().hierarchy_name());
  run.kind = "layout";
  nlohmann::json config = nlohmann::json::parse(layout.settings().to_json());
  config["previous_chunks"] = o.previous;
  config["text"] = o.text;
  run.config_json = config.dump();
  run.num_levels = layout.num_levels();
  const ByteTokenizer tokenizer(layout.num_levels());
  Recorder recorder(writer, run, [tokenizer](int64_t id) { return tokenizer.token_text(id); });
  recorder.on_layout(trace::describe_layout(layout));
  recorder.on_mask(trace::describe_mask(build_block_mask(layout, mask_settings, o.block_size)));
  recorder.finish();
  writer.close();
}

void run_mask(const MaskOptions& o) {
  const LayoutSettings settings = checked_settings(o);
  TextTokens text;
  if (!o.text.empty()) {
    text = read_text_tokens(o.text, o.tokens);
  } else {
    for (int64_t i = 0; i < o.tokens; ++i) text.tokens.push_back(i % 256);
  }
  const GistLayout layout(settings, text.tokens, text.word_starts);
  const int64_t length = layout.length();
  if (!o.blocks && length > kMaxDenseMaskLength) {
    throw UsageError(fmt::format(
        "stream length {} exceeds {} for a dense mask ({} GiB); use --blocks for the block "
        "description",
        length, kMaxDenseMaskLength, (length * length) >> 30));
  }
  const MaskSettings mask_settings{o.previous};
  for (const char* name : {"mask.npy", "block_offsets.npy", "block_keys.npy", "block_kinds.npy",
                           "roles.npy", "ids.npy", "positions.npy", "layout.json"})
    refuse_output_onto_input(o.out + "/" + name, "--out", {o.text, o.record});
  // The recording first: a file that is not a recording is refused before
  // any .npy file exists.
  if (!o.record.empty()) record_layout(o, layout, mask_settings);
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(o.out, error);
  if (error) throw InputError(fmt::format("cannot create {}: {}", o.out, error.message()));
  const std::string dir = o.out + "/";

  const auto start = std::chrono::steady_clock::now();
  if (o.blocks) {
    const BlockMask blocks = build_block_mask(layout, mask_settings, o.block_size);
    std::vector<uint8_t> kinds(blocks.kinds.size());
    for (size_t i = 0; i < kinds.size(); ++i) kinds[i] = static_cast<uint8_t>(blocks.kinds[i]);
    write_npy(dir + "block_offsets.npy", "<i8", {static_cast<int64_t>(blocks.row_offsets.size())},
              blocks.row_offsets);
    write_npy(dir + "block_keys.npy", "<i4", {static_cast<int64_t>(blocks.key_blocks.size())},
              blocks.key_blocks);
    write_npy(dir + "block_kinds.npy", "|u1", {static_cast<int64_t>(kinds.size())}, kinds);
  } else {
    std::vector<uint8_t> mask(length * length);
    fill_dense_training_mask(layout, mask_settings, mask.data());
    write_npy(dir + "mask.npy", "|b1", {length, length}, mask);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_npy(dir + "roles.npy", "|i1", {length}, layout.roles());
  write_npy(dir + "ids.npy", "<i4", {length, layout.num_levels()}, layout.ids());
  write_npy(dir + "positions.npy", "<i8", {length}, layout.position_ids());
  write_layout_json(dir + "layout.json", layout, o);
  fmt::print("{}: {} raw tokens -> stream length {} ({}), {} mask in {:.3f} s\n", o.out, o.tokens,
             length, settings.hierarchy_name(), o.blocks ? "block" : "dense", seconds);
}

}  // namespace

void register_mask_command(CLI::App& app) {
  auto options = std::make_shared<MaskOptions>();
  CLI::App* cmd = app.add_subcommand("mask", "Write a layout's training mask as NumPy .npy files");
  cmd->add_option("--tokens", options->tokens, "Raw tokens in the document (N >= 1)")->required();
  cmd->add_option("--chunk", options->chunk, "Raw tokens per gist (C >= 1)")->required();
  cmd->add_option("--levels", options->levels, "H-SSA group sizes C1[,C2...] (each >= 2)")
      ->delimiter(',');
  cmd->add_option("--sink", options->sink,
                  "Attention-sink tokens (>= 0; default 3, as the models)");
  cmd->add_option("--previous", options->previous,
                  "num_previous_chunks p (>= 0; default 1, as the models)");
  cmd->add_option("--positions", options->positions,
                  "RoPE position ids in positions.npy: raw (gists do not advance them, the "
                  "reference's; default) or stream (stream indices)");
  cmd->add_option("--out", options->out, "Output directory")->required();
  cmd->add_flag("--blocks", options->blocks, "Write the block description instead of mask.npy");
  cmd->add_option("--block-size", options->block_size, "Block size for --blocks: 64 or 128");
  cmd->add_option("--text", options->text, "Use the first N bytes of this file as the raw tokens");
  cmd->add_option("--record", options->record, "Also record layout and block mask into RUN.ssarec");
  cmd->add_flag("--word-aware", options->word_aware,
                "Word-aware placement (needs --text): a gist inside a word moves to the first "
                "word start up to C/2 tokens on");
  cmd->callback([options] { run_mask(*options); });
}

}  // namespace ssa::cli
