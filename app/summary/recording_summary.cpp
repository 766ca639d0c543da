// The headless recording summary (see recording_summary.h).
#include "app/summary/recording_summary.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <new>
#include <vector>

#include "app/summary/decode_quality.h"
#include "sessions/reader.h"

#ifndef SSA_SOURCE_ASSETS
#define SSA_SOURCE_ASSETS "assets"
#endif

namespace ssa::summary {

std::string default_demo_path() {
  if (const char* env = std::getenv("SSA_DEMO_RECORDING"); env && *env) return env;
  const std::string local = "assets/demo/demo.ssarec";
  if (::access(local.c_str(), F_OK) == 0) return local;
  return std::string(SSA_SOURCE_ASSETS) + "/demo/demo.ssarec";
}

namespace {

std::string human_bytes(int64_t bytes) {
  if (bytes >= 1000000000) return fmt::format("{:.2f} GB", double(bytes) / 1e9);
  if (bytes >= 1000000) return fmt::format("{:.1f} MB", double(bytes) / 1e6);
  if (bytes >= 1000) return fmt::format("{:.1f} kB", double(bytes) / 1e3);
  return fmt::format("{} B", bytes);
}

std::string range_text(const sessions::StepRange& r) {
  return r.count == 0 ? "0 steps" : fmt::format("{} steps ({}..{})", r.count, r.first, r.last);
}

// Text on one line: line breaks and control characters escaped.
std::string one_line(const std::string& text, size_t limit) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (out.size() > limit) out = out.substr(0, limit - 3) + "...";
  return out;
}

std::string status_text(const sessions::RunInfo& run) {
  switch (run.status()) {
    case sessions::RunStatus::kFinished:
      return "finished";
    case sessions::RunStatus::kFailed:
      return "failed: " + run.failure;
    case sessions::RunStatus::kIncomplete:
      break;
  }
  return "incomplete (still recording, interrupted, or the writer was killed)";
}

void print_layout(sessions::Reader& reader, const sessions::RunInfo& run, std::FILE* out) {
  const auto layout = reader.layout(run.id);
  if (!layout) return;
  std::vector<int64_t> gists(size_t(layout->num_levels()), 0);
  for (int8_t role : layout->roles)
    if (role > 0) ++gists[size_t(role - 1)];  // roles are checked by the Reader
  std::string per_level;
  for (size_t i = 0; i < gists.size(); ++i)
    per_level += fmt::format("{}{} at level {}", i ? ", " : "", gists[i], i);
  fmt::print(out, "  layout: {} positions ({} prefix, {} sink), gists: {}; {}\n", layout->length(),
             layout->prefix_length, layout->sink_length, per_level, layout->settings_json);
}

void print_mask(sessions::Reader& reader, const sessions::RunInfo& run, std::FILE* out) {
  const auto mask = reader.mask(run.id);
  if (!mask) return;
  std::map<int, int64_t> kinds;
  for (uint8_t k : mask->kinds) kinds[k]++;
  fmt::print(out,
             "  mask: blocks of {}, p {}: {} query blocks, {} full, {} partial (gists), {} "
             "partial (mixed)\n",
             mask->block_size, mask->previous_chunks,
             mask->row_offsets.empty() ? 0 : mask->row_offsets.size() - 1, kinds[1], kinds[2],
             kinds[3]);
}

void print_decode(sessions::Reader& reader, const sessions::RunInfo& run, std::FILE* out) {
  const auto decode = reader.decode_step_range(run.id);
  if (decode.count == 0) return;
  const auto steps = reader.decode_steps(run.id);
  // The numbers the GUI draws (app/summary/decode_quality.h).
  const DecodeSummary q = summarize_decode(run.config_json, steps);
  std::string text;
  for (const auto& s : steps) text += s.text;
  // Step 0 carries the prefill (engine/decode/generation.h): shown apart,
  // so the per-step figure is what a generated token costs.
  double later_seconds = 0;
  for (size_t i = 1; i < steps.size(); ++i) later_seconds += steps[i].seconds;
  const std::string timing =
      steps.size() > 1
          ? fmt::format("prefill + first token {:.0f} ms, then {:.2f} ms/step",
                        1e3 * steps[0].seconds, 1e3 * later_seconds / (steps.size() - 1))
          : fmt::format("prefill + first token {:.0f} ms", 1e3 * steps[0].seconds);
  const std::string label = baseline_label(q.baseline, std::max(1, run.num_levels));
  std::string config = "baseline " + label;
  if (!q.baseline.empty() && q.baseline != label) config += " (" + q.baseline + ")";
  // auto and top-p budgets do not use the recorded k.
  if (q.k > 0 && q.baseline != "full" && q.baseline != "gist-only" && q.budget != "auto" &&
      q.budget != "top-p")
    config += fmt::format(", k {}", q.k);
  if (!q.mode.empty()) config += ", mode " + q.mode;
  if (!q.budget.empty()) config += ", budget " + q.budget;
  if (q.dense_layers >= 0) config += fmt::format(", dense layers {}", q.dense_layers);
  if (!q.task.empty()) config += ", task " + q.task;
  if (q.shadow_full) config += ", full-attention shadow";
  fmt::print(out, "  {}\n", config);
  fmt::print(out, "  decode: {}, {}, {:.0f} keys scored and {:.0f} read per step\n",
             range_text(decode), timing, q.mean_keys_scored, q.mean_keys_read);
  if (q.has_coverage())
    fmt::print(out,
               "  full-attention mass covered: mean {:.4f} (min {:.4f}, max {:.4f}) over {} "
               "of {} steps\n",
               q.mean_coverage, q.min_coverage, q.max_coverage, q.coverage_steps, q.steps);
  else if (q.shadow_full)
    fmt::print(out, "  full-attention mass covered: not measured{}\n",
               q.baseline == "full" ? " (full attention reads every key)" : "");
  if (q.knows_answer())
    fmt::print(out, "  answer chunk unfolded at {} of {} steps{}\n", q.answer_unfolded,
               q.answer_steps,
               q.first_answer_step >= 0 ? fmt::format(" (first at step {})", q.first_answer_step)
                                        : std::string());
  fmt::print(out, "  generated: \"{}\"\n", one_line(text, 160));
  if (!q.answer.empty()) fmt::print(out, "  expected: \"{}\"\n", one_line(q.answer, 160));
}

void print_detail(sessions::Reader& reader, const sessions::RunInfo& run, std::FILE* out) {
  const auto detail = reader.detail_step_range(run.id);
  if (detail.count == 0) return;
  const auto unfolds = reader.unfolds_at(run.id, detail.last);
  std::string chunks;
  int listed = 0, level0 = 0;
  for (const auto& u : unfolds) {
    if (u.level != 0) continue;
    ++level0;
    if (listed++ < 16) chunks += (chunks.empty() ? "" : " ") + std::to_string(u.id);
  }
  if (level0 > 16) chunks += fmt::format(" (+{} more)", level0 - 16);
  fmt::print(out,
             "  detail: {}, {} layers, {} layer steps dropped by a full queue; chunks unfolded "
             "at step {}: {}\n",
             range_text(detail), reader.num_layers(run.id), run.dropped_details, detail.last,
             chunks.empty() ? "none" : chunks);
}

void print_run(sessions::Reader& reader, const sessions::RunInfo& run, std::FILE* out) {
  fmt::print(out, "run #{} \"{}\" ({}), created {}, {}\n", run.id, run.name, run.kind,
             run.created_utc, status_text(run));
  if (!run.model_hash.empty()) fmt::print(out, "  model: {}\n", run.model_hash);
  if (run.num_layers > 0 || run.num_score_heads > 0 || run.num_levels > 0)
    fmt::print(out, "  shape: {} layers, {} score heads, {} gist level(s)\n", run.num_layers,
               run.num_score_heads, run.num_levels);
  print_layout(reader, run, out);
  print_mask(reader, run, out);
  const auto train = reader.train_step_range(run.id);
  if (train.count > 0) {
    const auto steps = reader.train_steps(run.id, train.last, train.last);
    fmt::print(out, "  training: {}, last loss {:.4f}\n", range_text(train),
               steps.empty() ? 0.0 : steps.front().loss);
  }
  print_decode(reader, run, out);
  print_detail(reader, run, out);
  if (const size_t notes = reader.bookmarks(run.id).size())
    fmt::print(out, "  bookmarks: {}\n", notes);
}

void print_summary(sessions::Reader& reader, std::FILE* out) {
  const auto runs = reader.runs();
  fmt::print(out, "{}: SSA recording, format version {}, {} run(s), {}\n", reader.path(),
             reader.format_version(), runs.size(), human_bytes(reader.file_bytes()));
  for (const auto& run : runs) print_run(reader, run, out);
}

void print_sizes(sessions::Reader& reader, std::FILE* out) {
  const std::vector<sessions::TableSize> sizes = reader.table_sizes();
  if (sizes.empty()) return;
  fmt::print(out, "space:\n");
  for (const sessions::TableSize& t : sizes) {
    if (t.rows >= 0)
      fmt::print(out, "  {:<34} {:>10}  {} rows\n", t.table, human_bytes(t.bytes), t.rows);
    else
      fmt::print(out, "  {:<34} {:>10}\n", t.table, human_bytes(t.bytes));
  }
}

// Everything is read before a line is printed: a damaged file gives its one
// error line, not half a summary.
void print_whole(const std::string& path, std::FILE* out, bool sizes) {
  sessions::Reader reader(path);
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* text = open_memstream(&buffer, &size);
  if (!text) throw std::bad_alloc();
  try {
    print_summary(reader, text);
    if (sizes) print_sizes(reader, text);
  } catch (...) {
    std::fclose(text);
    std::free(buffer);
    throw;
  }
  std::fclose(text);
  std::fwrite(buffer, 1, size, out);
  std::free(buffer);
}

}  // namespace

void print_headless_summary(const std::string& path, std::FILE* out) {
  print_whole(path, out, false);
}

void print_recording_info(const std::string& path, std::FILE* out) {
  print_whole(path, out, true);
}

}  // namespace ssa::summary
