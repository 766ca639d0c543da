// CSV reading (see csv_reader.h): one pass over the text, a field at a time.
#include "sessions/csv_reader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ssa::sessions {

CsvTable parse_csv(const std::string& text, const std::string& name) {
  // Where the reader is within a field.
  enum class At { kStart, kUnquoted, kQuoted, kAfterQuote };
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  At at = At::kStart;
  int64_t line = 1, row_line = 1, quote_line = 1;
  bool row_open = false;  // something of this line was read: a blank line is no row
  auto fail = [&](int64_t where, const std::string& what) {
    throw CsvError(name + " line " + std::to_string(where) + ": " + what);
  };
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    at = At::kStart;
  };
  auto end_row = [&] {
    end_field();
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
    row_open = false;
  };
  const size_t n = text.size();
  size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // a spreadsheet's BOM
  for (; i < n; ++i) {
    const char c = text[i];
    if (at == At::kQuoted) {
      if (c == '"' && i + 1 < n && text[i + 1] == '"') {
        field += '"', ++i;
      } else if (c == '"') {
        at = At::kAfterQuote;
      } else {
        if (c == '\n') ++line;
        field += c;  // commas and line breaks (CRLF too) are the field's own
      }
      continue;
    }
    if (c == ',') {
      end_field();
      row_open = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      if (row_open) end_row();
      ++line;
      row_line = line;
    } else if (at == At::kAfterQuote) {
      fail(line, "text after a closing quote");
    } else if (c == '"') {
      if (at != At::kStart) fail(line, "a quote inside an unquoted field (quote the whole field)");
      at = At::kQuoted, row_open = true, quote_line = line;
    } else {
      field += c;
      at = At::kUnquoted, row_open = true;
    }
  }
  if (at == At::kQuoted) fail(quote_line, "a quoted field is never closed");
  if (row_open) end_row();
  if (table.header.empty()) throw CsvError(name + ": empty, expected a header line");
  return table;
}

CsvTable read_csv(const std::string& path) {
  // A directory opens as a stream on Linux and reads as empty: refuse it here.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw CsvError(path + ": is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CsvError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw CsvError(path + ": cannot be read");
  return parse_csv(text.str(), path);
}

}  // namespace ssa::sessions
