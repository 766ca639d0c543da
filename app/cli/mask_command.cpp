// `ssa-workbench mask`: writes a layout's training mask as NumPy files.
//
// Dense form: mask.npy (bool [L, L]); block form (--blocks): the CSR block
// description block_offsets.npy / block_keys.npy / block_kinds.npy. Both also
// write roles.npy, ids.npy, positions.npy and layout.json. Every argument is
// checked before anything is written, so a refused call leaves no files.
#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/npy_writer.h"
#include "engine/layout/gist_layout.h"
#include "engine/mask/block_mask.h"
#include "engine/mask/training_mask.h"

namespace ssa::cli {
namespace {

struct MaskOptions {
  int64_t tokens = 0;
  int chunk = 0;
  std::vector<int> levels;
  int sink = 0;
  int previous = 0;
  std::string out;
  bool blocks = false;
  int block_size = 128;
};

LayoutSettings checked_settings(const MaskOptions& o) {
  if (o.tokens < 1) throw UsageError("--tokens must be >= 1");
  if (o.chunk < 1) throw UsageError("--chunk must be >= 1");
  for (int level : o.levels) {
    if (level < 2) throw UsageError(fmt::format("--levels sizes must be >= 2, got {}", level));
  }
  if (o.sink < 0) throw UsageError("--sink must be >= 0");
  if (o.previous < 0) throw UsageError("--previous must be >= 0");
  if (o.block_size != 64 && o.block_size != 128) throw UsageError("--block-size must be 64 or 128");
  LayoutSettings settings;
  settings.chunk = o.chunk;
  settings.group_sizes = o.levels;
  settings.sink = o.sink;
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
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) throw InputError("cannot write " + path);
}

void run_mask(const MaskOptions& o) {
  const LayoutSettings settings = checked_settings(o);
  std::vector<int64_t> raw(o.tokens);
  for (int64_t i = 0; i < o.tokens; ++i) raw[i] = i % 256;
  const GistLayout layout(settings, raw);
  const int64_t length = layout.length();
  if (!o.blocks && length > kMaxDenseMaskLength) {
    throw UsageError(fmt::format(
        "stream length {} exceeds {} for a dense mask ({} GiB); use --blocks for the block "
        "description",
        length, kMaxDenseMaskLength, (length * length) >> 30));
  }
  const MaskSettings mask_settings{o.previous};
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
  cmd->add_option("--sink", options->sink, "Attention-sink tokens (>= 0)");
  cmd->add_option("--previous", options->previous, "num_previous_chunks p (>= 0)");
  cmd->add_option("--out", options->out, "Output directory")->required();
  cmd->add_flag("--blocks", options->blocks, "Write the block description instead of mask.npy");
  cmd->add_option("--block-size", options->block_size, "Block size for --blocks: 64 or 128");
  cmd->callback([options] { run_mask(*options); });
}

}  // namespace ssa::cli
