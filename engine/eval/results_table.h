// The results folder's two tables (results.csv, examples.csv) as text: the
// headers the GUI's Evaluation panel reads and rows in RFC 4180 CSV (read
// back by sessions/csv_reader.h, the project's one reader). The columns and
// their meaning are the contract between `ssa-workbench eval` and that panel;
// empty = not measured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/eval/eval_metrics.h"

namespace ssa::eval {

// One configuration of an evaluation: what a results.csv row is about.
struct ConfigKey {
  std::string method;  // ssa, full, gist-only, oracle, recency
  std::string task;    // passkey, kv, multidoc
  int64_t context = 0;
  std::optional<int> k;  // none for full attention and gist-only (they choose nothing)
  std::string levels;    // "" for the model's single-level SSA, else "4-4" (c, then C1, ...)

  // The first five columns, as they are written.
  std::vector<std::string> columns() const;
  bool operator==(const ConfigKey& other) const { return columns() == other.columns(); }
};

extern const char* const kResultsHeader;
extern const char* const kExamplesHeader;

// The fields joined into one line (no line break), each as
// sessions::csv_field (sessions/csv_reader.h) writes it.
std::string csv_line(const std::vector<std::string>& fields);

// Shortest text that reads back as the same double; "" for nullopt.
std::string number(std::optional<double> value);

std::vector<std::string> results_row(const ConfigKey& key, const ConfigMetrics& m);
// `recording`: relative to the results folder, "" when not recorded; run < 0: none.
std::vector<std::string> example_row(const ConfigKey& key, int64_t example, const ExampleOutcome& o,
                                     const std::string& recording, int64_t run);

// Rows (header first) as aligned columns for a terminal.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace ssa::eval
