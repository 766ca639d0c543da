// CSV reading (see csv_table.h): one pass over the text, a field at a time.
#include "app/gui/model/csv_table.h"

#include <fstream>
#include <sstream>

namespace ssa::gui {

CsvTable parse_csv(const std::string& text, const std::string& name) {
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  int64_t line = 1, row_line = 1;
  bool quoted = false, after_quote = false, any = false;
  auto fail = [&](int64_t at, const std::string& what) {
    throw CsvError(name + " line " + std::to_string(at) + ": " + what);
  };
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    if (table.header.empty()) {
      table.header = std::move(row);
    } else if (row.size() != table.header.size()) {
      fail(row_line, std::to_string(row.size()) + " fields, the header has " +
                         std::to_string(table.header.size()));
    } else {
      table.rows.push_back(std::move(row));
      table.lines.push_back(row_line);
    }
    row.clear();
    after_quote = any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"', ++i;
      } else if (c == '"') {
        quoted = false, after_quote = true;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !after_quote) {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      after_quote = false, any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) end_row();  // blank lines are no rows
      ++line;
      row_line = line;
    } else if (after_quote) {
      fail(line, "text after a closing quote");
    } else {
      field += c, any = true;
    }
  }
  if (quoted) fail(row_line, "a quoted field is never closed");
  if (any || !field.empty()) end_row();
  if (table.header.empty()) throw CsvError(name + ": empty, expected a header line");
  return table;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CsvError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw CsvError(path + ": cannot be read");
  return parse_csv(text.str(), path);
}

}  // namespace ssa::gui
