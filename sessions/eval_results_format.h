// The columns of an evaluation results folder: what `ssa-workbench eval`
// writes (engine/eval/results_table.*) and the GUI's Evaluation page reads
// (app/gui/model/eval_results.*). Beside the recordings, this folder is the
// other contract between the engine and the GUI (docs/evaluation.md), so
// its header lines are defined once, here, with the one way a field is
// written (which `export` writes its CSV with too; sessions/csv_reader.h
// reads both). No dependencies but the standard library.
#pragma once

#include <string>

namespace ssa::sessions {

// results.csv: one row per (method, task, context, k, levels).
inline constexpr const char* kEvalResultsColumns =
    "method,task,context,k,levels,n,exact,char_accuracy,compression,recall,coverage_mean,"
    "coverage_p10,keys_scored_per_step,keys_read_per_step,ms_per_step";
// examples.csv: one row per decoded example.
inline constexpr const char* kEvalExamplesColumns =
    "method,task,context,k,levels,example,exact,char_accuracy,answer_unfolded,expected,generated,"
    "recording,run,answer_step";

// A CSV field (RFC 4180): quoted, its quotes doubled, when it holds a comma,
// quote or line break; as it is otherwise.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace ssa::sessions
