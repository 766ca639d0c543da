// `ssa-workbench export RUN.ssarec --what scores|selections|losses|steps
// --format csv [--out FILE] [--run ID] [--steps A:B] [--layer L]`: writes
// recorded data as CSV (one row per value, long format), read through
// sessions::Reader only and streamed as it is read. Arguments are checked
// before anything is written; --out is written whole or not at all, never
// over the recording (app/cli/atomic_output.h). A value that was not
// measured (coverage without --shadow-full, an unknown answer flag, the
// learning rate of an evaluation) is left empty.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/atomic_output.h"
#include "app/cli/commands.h"
#include "app/cli/flag_checks.h"
#include "sessions/csv_reader.h"
#include "sessions/reader.h"

namespace ssa::cli {
namespace {

struct ExportOptions {
  std::string path;
  std::string what;
  std::string format = "csv";
  std::string out;  // empty: stdout
  int64_t run = -1;
  std::string steps;  // "A:B", "A:" or ":B"
  int layer = -1;
};

// Shortest text that reads back as the same float.
std::string number(double v) {
  return fmt::format("{}", v);
}

// Empty when the recording says "not measured" (a negative value).
std::string measured(double v) {
  return v < 0 ? std::string() : number(v);
}

// A whole decimal number, nothing before or after it.
int64_t step_number(const std::string& text, const std::string& all) {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw UsageError("--steps " + all + ": expected A:B, A:, :B or one step number");
  return v;
}

void parse_steps(const std::string& text, int64_t* first, int64_t* last) {
  *first = 0;
  *last = sessions::Reader::kAllSteps;
  if (text.empty()) return;
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    *first = *last = step_number(text, text);
  } else {
    if (colon > 0) *first = step_number(text.substr(0, colon), text);
    if (colon + 1 < text.size()) *last = step_number(text.substr(colon + 1), text);
  }
  if (*first < 0 || *last < *first)
    throw UsageError("--steps " + text + ": empty or negative range");
}

void export_losses(sessions::Reader& r, int64_t run, int64_t first, int64_t last,
                   std::ostream& out) {
  for (const sessions::TrainStepRecord& t : r.train_steps(run, first, last)) {
    // An evaluation measures its loss only.
    out << run << ',' << t.step << ',' << (t.is_eval ? 1 : 0) << ',' << number(t.loss) << ','
        << (t.is_eval ? "" : number(t.learning_rate)) << ','
        << (t.is_eval ? "" : number(t.tokens_per_second)) << ','
        << (t.is_eval ? "" : number(t.grad_norm)) << '\n';
  }
}

void export_steps(sessions::Reader& r, int64_t run, int64_t first, int64_t last,
                  std::ostream& out) {
  for (const sessions::DecodeStepRecord& d : r.decode_steps(run, first, last)) {
    out << run << ',' << d.step << ',' << d.token_id << ',' << sessions::csv_field(d.text) << ','
        << number(d.seconds) << ',' << d.keys_scored << ',' << d.keys_read << ','
        << measured(d.full_mass_coverage) << ','
        << (d.answer_unfolded < 0 ? std::string() : std::to_string(d.answer_unfolded)) << '\n';
  }
}

// Scores or selections: one row per (step, layer, level, head, gist).
void export_detail(sessions::Reader& r, int64_t run, int64_t first, int64_t last, int layer_only,
                   bool scores, std::ostream& out) {
  std::optional<sessions::Layout> layout = r.layout(run);
  auto gist_id = [&](int64_t pos, int level) -> std::string {
    if (!layout || pos >= layout->length() || level >= layout->num_levels()) return "";
    return std::to_string(layout->id(pos, level));
  };
  sessions::StepRange range = r.detail_step_range(run);
  if (range.count == 0) return;
  int32_t layers = r.num_layers(run);
  for (int64_t step = std::max(first, range.first); step <= std::min(last, range.last); ++step) {
    for (int32_t layer = 0; layer < layers; ++layer) {
      if (layer_only >= 0 && layer != layer_only) continue;
      std::optional<sessions::LayerStep> ls = r.layer_step(run, step, layer);
      if (!ls) continue;
      if (scores) {
        for (const sessions::LevelScores& s : ls->scores) {
          for (size_t row = 0; row < s.rows(); ++row) {
            const int64_t* cands = s.row_candidates(row);
            const float* values = s.row_scores(row);
            for (size_t i = 0; i < s.row_size(row); ++i) {
              out << run << ',' << step << ',' << layer << ',' << s.level << ',' << s.heads[row]
                  << ',' << cands[i] << ',' << gist_id(cands[i], s.level) << ','
                  << number(values[i]) << '\n';
            }
          }
        }
      } else {
        for (const sessions::LevelSelection& c : ls->selections) {
          for (size_t row = 0; row < c.rows(); ++row) {
            for (size_t i = 0; i < c.row_size(row); ++i) {
              int64_t pos = c.row_chosen(row)[i];
              out << run << ',' << step << ',' << layer << ',' << c.level << ',' << c.heads[row]
                  << ',' << pos << ',' << gist_id(pos, c.level) << '\n';
            }
          }
        }
      }
    }
  }
}

// The runs to export; refuses a --run or --layer that the recording lacks.
std::vector<sessions::RunInfo> chosen_runs(sessions::Reader& reader, const ExportOptions& o) {
  std::vector<sessions::RunInfo> runs;
  for (const sessions::RunInfo& r : reader.runs())
    if (o.run < 0 || r.id == o.run) runs.push_back(r);
  if (o.run >= 0 && runs.empty()) throw InputError(o.path + ": no run " + std::to_string(o.run));
  if (o.layer >= 0) {
    if (o.what != "scores" && o.what != "selections")
      throw UsageError("--layer: only for --what scores or selections");
    int32_t layers = 0;
    for (const sessions::RunInfo& r : runs) layers = std::max(layers, reader.num_layers(r.id));
    if (o.layer >= layers)
      throw InputError(o.path + ": --layer " + std::to_string(o.layer) + ": " +
                       (layers == 0 ? std::string("no layer is recorded")
                                    : "layers 0.." + std::to_string(layers - 1) + " are recorded"));
  }
  return runs;
}

void export_csv(sessions::Reader& reader, const std::vector<sessions::RunInfo>& runs,
                const ExportOptions& o, int64_t first, int64_t last, std::ostream& out) {
  if (o.what == "losses") {
    out << "run,step,is_eval,loss,learning_rate,tokens_per_second,grad_norm\n";
  } else if (o.what == "steps") {
    out << "run,step,token_id,text,seconds,keys_scored,keys_read,full_mass_coverage,"
           "answer_unfolded\n";
  } else if (o.what == "scores") {
    out << "run,step,layer,level,head,position,gist_id,score\n";
  } else {
    out << "run,step,layer,level,head,position,gist_id\n";
  }
  for (const sessions::RunInfo& r : runs) {
    if (o.what == "losses") export_losses(reader, r.id, first, last, out);
    if (o.what == "steps") export_steps(reader, r.id, first, last, out);
    if (o.what == "scores" || o.what == "selections")
      export_detail(reader, r.id, first, last, o.layer, o.what == "scores", out);
  }
}

void run_export(const ExportOptions& o) {
  if (o.format != "csv") throw UsageError("--format " + o.format + ": only csv is supported");
  int64_t first, last;
  parse_steps(o.steps, &first, &last);
  if (!o.out.empty())
    refuse_output_onto_input(o.out, "--out", {o.path, o.path + "-wal", o.path + "-shm"});
  try {
    sessions::Reader reader(o.path);
    const std::vector<sessions::RunInfo> runs = chosen_runs(reader, o);
    if (o.out.empty()) {
      export_csv(reader, runs, o, first, last, std::cout);
      std::cout.flush();
      if (!std::cout) throw InputError("stdout: write failed");
      return;
    }
    AtomicOutput file(o.out, "--out");
    export_csv(reader, runs, o, first, last, file.stream());
    file.commit();
  } catch (const sessions::Error& e) {
    throw InputError(e.what());
  }
}

}  // namespace

void register_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* cmd =
      app.add_subcommand("export", "Write recorded scores, selections or losses as CSV");
  cmd->add_option("recording", o->path, "The recording file (.ssarec)")->required();
  cmd->add_option("--what", o->what, "scores | selections | losses | steps")
      ->required()
      ->check(CLI::IsMember({"scores", "selections", "losses", "steps"}));
  cmd->add_option("--format", o->format, "Output format: csv");
  cmd->add_option("--out", o->out, "Output file (default: standard output)");
  cmd->add_option("--run", o->run, "Only this run id (default: every run)")
      ->check(whole_number_at_least(0));
  cmd->add_option("--steps", o->steps, "Only steps A:B (inclusive; A: and :B too)");
  cmd->add_option("--layer", o->layer, "Only this layer (scores, selections)")
      ->check(whole_number_at_least(0));
  cmd->callback([o] { run_export(*o); });
}

}  // namespace ssa::cli
