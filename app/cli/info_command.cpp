// `ssa-workbench info RUN.ssarec`: what a recording holds -- runs, steps,
// layout, mask, sizes -- read through sessions::Reader only. A file that is
// not a readable recording gives one line on stderr and exit status 1.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "sessions/reader.h"

namespace ssa::cli {
namespace {

std::string human_bytes(int64_t bytes) {
  if (bytes >= 1000000000) return fmt::format("{:.2f} GB", double(bytes) / 1e9);
  if (bytes >= 1000000) return fmt::format("{:.1f} MB", double(bytes) / 1e6);
  if (bytes >= 1000) return fmt::format("{:.1f} kB", double(bytes) / 1e3);
  return fmt::format("{} B", bytes);
}

std::string range_text(const sessions::StepRange& r) {
  return r.count == 0 ? "0" : fmt::format("{} ({}..{})", r.count, r.first, r.last);
}

void print_run(sessions::Reader& reader, const sessions::RunInfo& run) {
  fmt::print("run {} \"{}\" ({}), created {}, {}\n", run.id, run.name, run.kind, run.created_utc,
             run.finished ? "finished" : "incomplete (still recording, or the writer stopped)");
  if (!run.model_hash.empty()) fmt::print("  model: {}\n", run.model_hash);
  if (run.num_layers > 0 || run.num_score_heads > 0 || run.num_levels > 0) {
    fmt::print("  shape: {} layers, {} score heads, {} gist level(s)\n", run.num_layers,
               run.num_score_heads, run.num_levels);
  }
  if (std::optional<sessions::Layout> l = reader.layout(run.id)) {
    std::vector<int64_t> gists(size_t(l->num_levels()), 0);
    for (int8_t role : l->roles) {
      if (role > 0 && size_t(role) <= gists.size()) ++gists[size_t(role - 1)];
    }
    std::string per_level;
    for (size_t i = 0; i < gists.size(); ++i) {
      per_level += fmt::format("{}{} at level {}", i ? ", " : "", gists[i], i);
    }
    fmt::print("  layout: {} positions (prefix {}, sink {}), gists: {}; {}\n", l->length(),
               l->prefix_length, l->sink_length, per_level, l->settings_json);
  } else {
    fmt::print("  layout: none\n");
  }
  if (std::optional<sessions::BlockMask> m = reader.mask(run.id)) {
    fmt::print("  mask: block size {}, {} query blocks, {} block entries, previous chunks {}\n",
               m->block_size, m->row_offsets.empty() ? 0 : m->row_offsets.size() - 1,
               m->key_blocks.size(), m->previous_chunks);
  }
  fmt::print("  train steps: {}\n", range_text(reader.train_step_range(run.id)));
  fmt::print("  decode steps: {}\n", range_text(reader.decode_step_range(run.id)));
  sessions::StepRange detail = reader.detail_step_range(run.id);
  fmt::print(
      "  scores and selections: {} steps, {} layers; {} layer steps dropped by a full queue\n",
      range_text(detail), reader.num_layers(run.id), run.dropped_details);
  size_t notes = reader.bookmarks(run.id).size();
  if (notes) fmt::print("  bookmarks: {}\n", notes);
}

void run_info(const std::string& path) {
  try {
    sessions::Reader reader(path);
    fmt::print("{}: SSA recording, format version {}, {}\n", path, reader.format_version(),
               human_bytes(reader.file_bytes()));
    std::vector<sessions::RunInfo> runs = reader.runs();
    if (runs.empty()) fmt::print("no runs\n");
    for (const sessions::RunInfo& run : runs) print_run(reader, run);
    std::vector<sessions::TableSize> sizes = reader.table_sizes();
    if (!sizes.empty()) {
      fmt::print("space:\n");
      for (const sessions::TableSize& t : sizes) {
        if (t.rows >= 0) {
          fmt::print("  {:<34} {:>10}  {} rows\n", t.table, human_bytes(t.bytes), t.rows);
        } else {
          fmt::print("  {:<34} {:>10}\n", t.table, human_bytes(t.bytes));
        }
      }
    }
  } catch (const sessions::Error& e) {
    throw InputError(e.what());
  }
}

}  // namespace

void register_info_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("info", "Print what a recording (.ssarec) holds");
  cmd->add_option("recording", *path, "The recording file")->required();
  cmd->callback([path] { run_info(*path); });
}

}  // namespace ssa::cli
