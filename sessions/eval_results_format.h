// The columns of an evaluation results folder: what `ssa-workbench eval`
// writes (engine/eval/results_table.*) and the GUI's Evaluation page reads
// (app/gui/model/eval_results.*). Beside the recordings, this folder is the
// other contract between the engine and the GUI (docs/evaluation.md), so
// its header lines are defined once, here (a field is written with
// sessions/csv_reader.h's csv_field, and read back with its parse_csv). No dependencies but the
// standard library.
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

}  // namespace ssa::sessions
