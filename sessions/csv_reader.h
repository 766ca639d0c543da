// The project's one CSV reader (RFC 4180), and its one field writer: the evaluation results
// folder's tables (sessions/eval_results_format.h), read by the GUI's Evaluation page and by
// `ssa-workbench eval` when it resumes, and the exports the tests read back. A quoted field may
// hold commas, doubled quotes and line breaks; lines end in LF or CRLF. Strict where a lenient
// reader would guess: a stray quote or text after a closing quote is an error, never a silently
// different field. No dependencies beyond the standard library.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssa::sessions {

// One line naming the file and the line: "results.csv line 4: 14 fields, the header has 15".
struct CsvError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A CSV text as its header and rows of text fields.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as many fields as the header
  std::vector<int64_t> lines;                  // the line each row starts on (1 = the header)
};

// Blank lines are no rows; a leading UTF-8 byte-order mark is skipped. Throws
// CsvError (naming `name`) for an empty text, a quote left open, a quote
// inside an unquoted field, text after a closing quote, or a row whose field
// count differs from the header's.
CsvTable parse_csv(const std::string& text, const std::string& name);
// parse_csv() of a file; a file that cannot be read is a CsvError too.
CsvTable read_csv(const std::string& path);

// A CSV field (RFC 4180): quoted, its quotes doubled, when it holds a comma,
// quote or line break; as it is otherwise: what parse_csv reads back as it was.
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
