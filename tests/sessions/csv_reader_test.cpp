// sessions/csv_reader.h: RFC 4180 CSV as the evaluation tables and the
// exports write it, each case with the exact fields and lines expected, and
// every malformed text refused with one line naming the file and the line.
#include "sessions/csv_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ssa::sessions {
namespace {

using Fields = std::vector<std::string>;

TEST(CsvReader, PlainFieldsAndEmptyOnes) {
  const CsvTable t = parse_csv("method,k,exact\nssa,4,0.5\nfull,,1\n,,\n", "t.csv");
  EXPECT_EQ(t.header, (Fields{"method", "k", "exact"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0], (Fields{"ssa", "4", "0.5"}));
  EXPECT_EQ(t.rows[1], (Fields{"full", "", "1"}));
  EXPECT_EQ(t.rows[2], (Fields{"", "", ""}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3, 4}));
}

TEST(CsvReader, QuotedFieldsWithCommasAndDoubledQuotes) {
  const CsvTable t = parse_csv(
      "a,b,c\n\"x,y\",\"say \"\"hi\"\"\",\"\"\n\"\"\"\",plain,\"\"\"a,b\"\"\"\n", "t.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Fields{"x,y", "say \"hi\"", ""}));
  EXPECT_EQ(t.rows[1], (Fields{"\"", "plain", "\"a,b\""}));
}

TEST(CsvReader, LineBreaksInsideQuotesAreTheFieldsOwn) {
  // An LF and a CRLF inside quotes stay in the field as written; the next
  // row's line counts them.
  const CsvTable t =
      parse_csv("expected,generated\n\"one\ntwo\",\"a\r\nb\"\nnext,row\n", "examples.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Fields{"one\ntwo", "a\r\nb"}));
  EXPECT_EQ(t.rows[1], (Fields{"next", "row"}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 5})) << "the first row spans lines 2 to 4";
}

TEST(CsvReader, CrlfLineEndsBlankLinesAndNoFinalLineBreak) {
  const CsvTable t = parse_csv("a,b\r\n1,2\r\n\r\n\n3,\"4\"", "t.csv");
  EXPECT_EQ(t.header, (Fields{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Fields{"1", "2"}));
  EXPECT_EQ(t.rows[1], (Fields{"3", "4"}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 5})) << "blank lines count as lines, not rows";
  // A lone CR ends a line too; a UTF-8 byte-order mark is not part of the first name.
  const CsvTable u = parse_csv("\xEF\xBB\xBFname\rx\r", "t.csv");
  EXPECT_EQ(u.header, (Fields{"name"}));
  EXPECT_EQ(u.rows, (std::vector<Fields>{{"x"}}));
}

TEST(CsvReader, MalformedTextIsOneLineNamingFileAndLine) {
  struct Case {
    std::string text, message;
  };
  const Case cases[] = {
      {"", "r.csv: empty, expected a header line"},
      {"\n\n", "r.csv: empty, expected a header line"},
      {"a,b\n1,2\n\"open,3\nmore\n", "r.csv line 3: a quoted field is never closed"},
      {"a,b\n\"x\"y,2\n", "r.csv line 2: text after a closing quote"},
      {"a,b\n1,2\n3,x\"y\n",
       "r.csv line 3: a quote inside an unquoted field (quote the whole field)"},
      {"a,b,c\n1,2,3\n\"two\nlines\",2\n", "r.csv line 3: 2 fields, the header has 3"},
      {"a,b\n1,2,3\n", "r.csv line 2: 3 fields, the header has 2"},
  };
  for (const Case& c : cases) {
    try {
      parse_csv(c.text, "r.csv");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const CsvError& e) {
      EXPECT_EQ(std::string(e.what()), c.message) << c.text;
    }
  }
}

TEST(CsvReader, ReadsAFileAndNamesOneItCannotRead) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("csv-reader-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "results.csv").string();
  std::ofstream(path, std::ios::binary) << "a,b\r\n\"1\r\n2\",3\r\n";
  const CsvTable t = read_csv(path);
  EXPECT_EQ(t.rows, (std::vector<Fields>{{"1\r\n2", "3"}}));
  const std::string missing = (dir / "absent.csv").string();
  try {
    read_csv(missing);
    ADD_FAILURE() << "read a file that is not there";
  } catch (const CsvError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot be read");
  }
  try {  // a folder opens as a stream and would read as an empty table
    read_csv(dir.string());
    ADD_FAILURE() << "read a folder";
  } catch (const CsvError& e) {
    EXPECT_EQ(std::string(e.what()), dir.string() + ": is a folder, not a file");
  }
  fs::remove_all(dir);
}

// csv_field, as eval's tables and `export` write a field: exact text, and
// every field read back as it was.
TEST(CsvReader, FieldsAsWrittenReadBackTheSame) {
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("one\ntwo"), "\"one\ntwo\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  const Fields fields = {"plain", "a,b", "\"", "x\r\ny", "", " lead"};
  std::string header, row;
  for (size_t i = 0; i < fields.size(); ++i) {
    header += (i ? ",c" : "c") + std::to_string(i);
    row += (i ? "," : "") + csv_field(fields[i]);
  }
  const CsvTable t = parse_csv(header + "\n" + row + "\n", "t.csv");
  EXPECT_EQ(t.rows, (std::vector<Fields>{fields}));
}

}  // namespace
}  // namespace ssa::sessions
