// Reading an evaluation results folder (see eval_results.h).
#include "app/gui/model/eval_results.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "sessions/csv_reader.h"
#include "sessions/eval_results_format.h"

namespace ssa::gui {
namespace {

bool is_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// One row of a table with its file and line, for messages naming the cell.
class Row {
 public:
  Row(const std::string& file, int64_t line, const std::vector<std::string>& header,
      const std::vector<std::string>& fields)
      : file_(file), line_(line), header_(header), fields_(fields) {}

  [[noreturn]] void fail(size_t column, const std::string& what) const {
    throw EvalFormatError(file_ + " line " + std::to_string(line_) + ", column " + header_[column] +
                          ": " + what);
  }
  const std::string& text(size_t column) const { return fields_[column]; }

  // An integer in [lo, hi]; empty gives `empty` when it is allowed.
  int64_t integer(size_t column, int64_t lo, int64_t hi,
                  std::optional<int64_t> empty = std::nullopt) const {
    const std::string& s = fields_[column];
    if (s.empty()) {
      if (empty) return *empty;
      fail(column, "empty, expected an integer");
    }
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || end != s.c_str() + s.size() || v < lo || v > hi)
      fail(column,
           "'" + s + "', expected an integer " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
  }
  // A finite number in [lo, hi], or nullopt when empty (not measured).
  std::optional<double> number(size_t column, double lo, double hi) const {
    const std::string& s = fields_[column];
    if (s.empty()) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v) || v < lo || v > hi) {
      char range[64];
      std::snprintf(range, sizeof range, "%g..%g", lo, hi);
      fail(column, "'" + s + "', expected a number " + range + (hi == 1.0 ? " (a fraction)" : "") +
                       " or empty (not measured)");
    }
    return v;
  }
  std::optional<double> fraction(size_t column) const { return number(column, 0.0, 1.0); }

 private:
  const std::string& file_;
  int64_t line_;
  const std::vector<std::string>& header_;
  const std::vector<std::string>& fields_;
};

constexpr double kHuge = 1e15;

// The five configuration columns every table opens with.
EvalConfig read_config(const Row& row) {
  EvalConfig c;
  c.method = row.text(0);
  if (c.method != "ssa" && c.method != "full" && c.method != "gist-only" && c.method != "oracle" &&
      c.method != "recency")
    row.fail(0, "'" + c.method + "', expected ssa, full, gist-only, oracle or recency");
  c.task = row.text(1);
  if (c.task.empty()) row.fail(1, "empty, expected the task's name");
  c.context = row.integer(2, 1, int64_t{1} << 40);
  c.k = static_cast<int32_t>(row.integer(3, 0, 1 << 20, -1));
  c.levels = row.text(4);
  // "" or chunk sizes joined by dashes: "4-4", "8-4-4".
  bool digit = false;
  for (char ch : c.levels) {
    if (ch >= '0' && ch <= '9') {
      digit = true;
    } else if (ch != '-' || !digit) {
      row.fail(4, "'" + c.levels + "', expected empty (SSA) or chunk sizes such as 4-4");
    } else {
      digit = false;
    }
  }
  if (!c.levels.empty() && !digit)
    row.fail(4, "'" + c.levels + "', expected empty (SSA) or chunk sizes such as 4-4");
  return c;
}

// Reads `file` under the folder as a table with exactly `header`, calling `row` per line.
void read_table(const std::string& folder, const char* file, const std::vector<std::string>& header,
                const std::function<void(const Row&)>& row) {
  const std::string path = folder + "/" + file;
  sessions::CsvTable table;
  try {
    table = sessions::read_csv(path);
  } catch (const sessions::CsvError& e) {
    throw EvalFormatError(e.what());
  }
  if (table.header != header) {
    std::string expected;
    for (const auto& h : header) expected += (expected.empty() ? "" : ",") + h;
    throw EvalFormatError(path + " line 1: not the header of " + file + " (expected " + expected +
                          ")");
  }
  for (size_t i = 0; i < table.rows.size(); ++i)
    row(Row(path, table.lines[i], table.header, table.rows[i]));
}

}  // namespace

std::string EvalConfig::series_name() const {
  std::string s = method;
  if (!levels.empty()) s += " " + levels;
  if (k >= 0) s += " k=" + std::to_string(k);
  return s;
}

std::vector<std::string> EvalResults::tasks() const {
  std::vector<std::string> out;
  for (const auto& r : results)
    if (std::find(out.begin(), out.end(), r.config.task) == out.end()) out.push_back(r.config.task);
  return out;
}

std::string EvalResults::recording_path(const EvalExample& e) const {
  return e.recording.empty() ? "" : folder + "/" + e.recording;
}

// The contract's header lines read as the tables are (sessions/csv_reader.h).
const std::vector<std::string>& results_header() {
  static const std::vector<std::string> h =
      sessions::parse_csv(sessions::kEvalResultsColumns, "results.csv header").header;
  return h;
}

const std::vector<std::string>& examples_header() {
  static const std::vector<std::string> h =
      sessions::parse_csv(sessions::kEvalExamplesColumns, "examples.csv header").header;
  return h;
}

bool is_results_folder(const std::string& folder) {
  return is_file(folder + "/results.csv");
}

EvalResults load_eval_results(const std::string& folder) {
  EvalResults out;
  out.folder = folder;
  while (out.folder.size() > 1 && out.folder.back() == '/') out.folder.pop_back();
  if (!is_results_folder(out.folder))
    throw EvalFormatError(folder + ": not a results folder (no results.csv in it)");
  read_table(out.folder, "results.csv", results_header(), [&](const Row& row) {
    EvalResult r;
    r.config = read_config(row);
    r.n = row.integer(5, 0, int64_t{1} << 40);
    r.exact = row.fraction(6);
    r.char_accuracy = row.fraction(7);
    r.compression = row.number(8, 0, kHuge);
    r.recall = row.fraction(9);
    r.coverage_mean = row.fraction(10);
    r.coverage_p10 = row.fraction(11);
    r.keys_scored_per_step = row.number(12, 0, kHuge);
    r.keys_read_per_step = row.number(13, 0, kHuge);
    r.ms_per_step = row.number(14, 0, kHuge);
    out.results.push_back(std::move(r));
  });
  if (is_file(out.folder + "/examples.csv")) {
    out.has_examples = true;
    read_table(out.folder, "examples.csv", examples_header(), [&](const Row& row) {
      EvalExample e;
      e.config = read_config(row);
      e.example = row.integer(5, 0, int64_t{1} << 40);
      e.exact = row.fraction(6);
      e.char_accuracy = row.fraction(7);
      const int64_t unfolded = row.integer(8, 0, 1, -1);
      if (unfolded >= 0) e.answer_unfolded = unfolded == 1;
      e.expected = row.text(9);
      e.generated = row.text(10);
      e.recording = row.text(11);
      if (!e.recording.empty() && e.recording.front() == '/')
        row.fail(11, "'" + e.recording + "', expected a path relative to the folder");
      e.run = row.integer(12, 0, int64_t{1} << 40, -1);
      e.answer_step = row.integer(13, 0, int64_t{1} << 40, -1);
      if (!e.recording.empty() && e.run < 0)
        row.fail(12, "empty, expected the run id inside " + e.recording);
      out.examples.push_back(std::move(e));
    });
  }
  std::ifstream command(out.folder + "/command.txt");
  if (command) std::getline(command, out.command);
  return out;
}

}  // namespace ssa::gui
