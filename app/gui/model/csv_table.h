// A CSV file as a header and rows of text fields (RFC 4180: a quoted field
// may hold commas, doubled quotes and line breaks). What the Evaluation panel
// reads `ssa-workbench eval`'s results folders with.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssa::gui {

// One line naming the file and the line: "results.csv line 4: 14 fields, the header has 15".
struct CsvError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as many fields as the header
  std::vector<int64_t> lines;                  // the line each row starts on (1 = the header)
};

// Throws CsvError (naming `name`) for an empty text, a quote left open, text
// after a closing quote, or a row whose field count differs from the header's.
CsvTable parse_csv(const std::string& text, const std::string& name);
// parse_csv() of a file; a file that cannot be read is a CsvError too.
CsvTable read_csv(const std::string& path);

}  // namespace ssa::gui
