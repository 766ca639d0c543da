#include "engine/eval/results_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "sessions/csv_reader.h"
#include "sessions/eval_results_format.h"

namespace ssa::eval {

const char* const kResultsHeader = sessions::kEvalResultsColumns;
const char* const kExamplesHeader = sessions::kEvalExamplesColumns;

std::vector<std::string> ConfigKey::columns() const {
  return {method, task, std::to_string(context), k ? std::to_string(*k) : "", levels};
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i)
    line += (i ? "," : "") + sessions::csv_field(fields[i]);
  return line;
}

std::string number(std::optional<double> value) {
  return value ? fmt::format("{}", *value) : std::string();
}

std::vector<std::string> results_row(const ConfigKey& key, const ConfigMetrics& m) {
  std::vector<std::string> row = key.columns();
  for (std::string v :
       {std::to_string(m.n), number(m.exact), number(m.char_accuracy), number(m.compression),
        number(m.recall), number(m.coverage_mean), number(m.coverage_p10),
        number(m.keys_scored_per_step), number(m.keys_read_per_step), number(m.ms_per_step)})
    row.push_back(std::move(v));
  return row;
}

std::vector<std::string> example_row(const ConfigKey& key, int64_t example, const ExampleOutcome& o,
                                     const std::string& recording, int64_t run) {
  std::vector<std::string> row = key.columns();
  for (std::string v :
       {std::to_string(example), std::string(o.exact ? "1" : "0"), number(o.char_accuracy),
        o.answer_unfolded >= 0 ? std::to_string(o.answer_unfolded) : "", o.expected, o.generated,
        recording, run >= 0 ? std::to_string(run) : "", std::to_string(o.answer_step)})
    row.push_back(std::move(v));
  return row;
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += fmt::format("{:<{}}", row[i], i + 1 < row.size() ? width[i] + 2 : 0);
    text += line + "\n";
  }
  return text;
}

}  // namespace ssa::eval
