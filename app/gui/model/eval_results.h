// An evaluation results folder, as `ssa-workbench eval` writes it (the
// contract: results.csv, examples.csv, command.txt): what the Evaluation
// panel and `ssa-workbench chart` show. Every value is checked on reading;
// a value that was not measured is empty in the CSV and nullopt here.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssa::gui {

// One line naming the file, the line and the column: bad input.
struct EvalFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What identifies a configuration: a line of the chart is one (method, k,
// levels) of one task, its points the contexts.
struct EvalConfig {
  std::string method;  // ssa | full | gist-only | oracle | recency
  std::string task;
  int64_t context = 0;  // bytes
  int32_t k = -1;       // -1: empty (a method without a budget)
  std::string levels;   // "" for SSA, "4-4" for H-SSA
  // "ssa k=4", "ssa 4-4 k=4", "full": the chart's legend and the tables' first column.
  std::string series_name() const;
};

struct EvalResult {
  EvalConfig config;
  int64_t n = 0;  // examples
  std::optional<double> exact, char_accuracy, compression, recall, coverage_mean, coverage_p10,
      keys_scored_per_step, keys_read_per_step, ms_per_step;
};

struct EvalExample {
  EvalConfig config;
  int64_t example = 0;
  std::optional<double> exact, char_accuracy;
  std::optional<bool> answer_unfolded;
  std::string expected, generated;
  std::string recording;  // relative to the folder, "" when not recorded
  int64_t run = -1, answer_step = -1;
  bool failed() const { return exact && *exact < 1.0; }
};

struct EvalResults {
  std::string folder;
  std::string command;  // command.txt, "" when absent
  std::vector<EvalResult> results;
  std::vector<EvalExample> examples;
  bool has_examples = false;  // examples.csv was there
  // The tasks, in the order they first appear.
  std::vector<std::string> tasks() const;
  // folder/recording of an example, "" when it has none.
  std::string recording_path(const EvalExample& e) const;
};

// The contract's headers, in order.
const std::vector<std::string>& results_header();
const std::vector<std::string>& examples_header();

// Whether `folder` holds a results.csv.
bool is_results_folder(const std::string& folder);
// Reads and checks the folder: results.csv required, examples.csv and
// command.txt optional. Throws EvalFormatError for anything that does not
// hold (a header not the contract's, a fraction outside 0..1, a method not
// known, an unquoted text, ...), naming the file, line and column.
EvalResults load_eval_results(const std::string& folder);

}  // namespace ssa::gui
