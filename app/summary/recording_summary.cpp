// The headless recording summary (see recording_summary.h).
#include "app/summary/recording_summary.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

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

void print_headless_summary(const std::string& path, std::FILE* out) {
  sessions::Reader reader(path);
  const auto runs = reader.runs();
  fmt::print(out, "{}: recording format {}, {} run(s), {:.1f} MB\n", path, reader.format_version(),
             runs.size(), reader.file_bytes() / 1e6);
  for (const auto& run : runs) {
    fmt::print(out, "run #{} \"{}\" ({}): {} layers, {} score heads, {} level(s){}\n", run.id,
               run.name, run.kind, run.num_layers, run.num_score_heads, run.num_levels,
               run.finished ? "" : ", unfinished");
    if (auto layout = reader.layout(run.id)) {
      int64_t gists = 0, metas = 0;
      for (int8_t role : layout->roles) gists += role == 1, metas += role > 1;
      fmt::print(out, "  layout: {} positions ({} prefix, {} sink), {} gists, {} meta-gists; {}\n",
                 layout->length(), layout->prefix_length, layout->sink_length, gists, metas,
                 layout->settings_json);
    }
    if (auto mask = reader.mask(run.id)) {
      std::map<int, int64_t> kinds;
      for (uint8_t k : mask->kinds) kinds[k]++;
      fmt::print(out,
                 "  mask: blocks of {}, p {}: {} full, {} partial (gists), {} partial (mixed)\n",
                 mask->block_size, mask->previous_chunks, kinds[1], kinds[2], kinds[3]);
    }
    const auto train = reader.train_step_range(run.id);
    if (train.count > 0) {
      const auto steps = reader.train_steps(run.id, train.last, train.last);
      fmt::print(out, "  training: {} steps, last loss {:.4f}\n", train.count,
                 steps.empty() ? 0.0 : steps.back().loss);
    }
    const auto decode = reader.decode_step_range(run.id);
    if (decode.count > 0) {
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
      fmt::print(out, "  decode: {} steps, {}, {:.0f} keys scored and {:.0f} read per step\n",
                 decode.count, timing, q.mean_keys_scored, q.mean_keys_read);
      if (q.has_coverage())
        fmt::print(out,
                   "  full-attention mass covered: mean {:.4f} (min {:.4f}, max {:.4f}) over {} "
                   "of {} steps\n",
                   q.mean_coverage, q.min_coverage, q.max_coverage, q.coverage_steps, q.steps);
      else if (q.shadow_full)
        fmt::print(out, "  full-attention mass covered: not measured{}\n",
                   q.baseline == "full" ? " (full attention reads every key)" : "");
      if (q.knows_answer())
        fmt::print(
            out, "  answer chunk unfolded at {} of {} steps{}\n", q.answer_unfolded, q.answer_steps,
            q.first_answer_step >= 0 ? fmt::format(" (first at step {})", q.first_answer_step)
                                     : std::string());
      if (text.size() > 160) text = text.substr(0, 157) + "...";
      fmt::print(out, "  generated: \"{}\"\n", text);
    }
    const auto detail = reader.detail_step_range(run.id);
    if (detail.count > 0) {
      const auto unfolds = reader.unfolds_at(run.id, detail.last);
      std::string chunks;
      int listed = 0, level0 = 0;
      for (const auto& u : unfolds) {
        if (u.level != 0) continue;
        ++level0;
        if (listed++ < 16) chunks += (chunks.empty() ? "" : " ") + std::to_string(u.id);
      }
      if (level0 > 16) chunks += fmt::format(" (+{} more)", level0 - 16);
      fmt::print(out, "  detail: steps {}..{}; chunks unfolded at step {}: {}\n", detail.first,
                 detail.last, detail.last, chunks.empty() ? "none" : chunks);
    }
  }
}

}  // namespace ssa::summary
