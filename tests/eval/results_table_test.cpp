// The results folder's tables: the contract's headers, empty cells for what
// was not measured, and CSV that reads back field for field.
#include "engine/eval/results_table.h"

#include <gtest/gtest.h>

#include "sessions/csv_reader.h"

namespace ssa::eval {
namespace {

TEST(ResultsTable, HeadersAreTheContract) {
  EXPECT_STREQ(kResultsHeader,
               "method,task,context,k,levels,n,exact,char_accuracy,compression,recall,"
               "coverage_mean,coverage_p10,keys_scored_per_step,keys_read_per_step,ms_per_step");
  EXPECT_STREQ(kExamplesHeader,
               "method,task,context,k,levels,example,exact,char_accuracy,answer_unfolded,"
               "expected,generated,recording,run,answer_step");
}

TEST(ResultsTable, RowsLeaveUnmeasuredEmpty) {
  ConfigMetrics m;
  m.n = 4;
  m.exact = 0.25;
  m.char_accuracy = 0.5;
  m.compression = 8;
  m.keys_scored_per_step = 0;
  m.keys_read_per_step = 128;
  m.ms_per_step = 1.5;
  const ConfigKey full{"full", "passkey", 1024, std::nullopt, ""};
  EXPECT_EQ(csv_line(results_row(full, m)), "full,passkey,1024,,,4,0.25,0.5,8,,,,0,128,1.5");
  ExampleOutcome o;
  o.expected = "in the \"attic\", then";
  o.generated = "barn\n";
  o.char_accuracy = 0;
  o.answer_step = 2;
  const ConfigKey ssa{"ssa", "multidoc", 4096, 4, "8-4"};
  EXPECT_EQ(csv_line(example_row(ssa, 7, o, "recordings/a.ssarec", 3)),
            "ssa,multidoc,4096,4,8-4,7,0,0,,\"in the \"\"attic\"\", then\",\"barn\n\","
            "recordings/a.ssarec,3,2");
}

TEST(ResultsTable, CsvReadsBackThroughTheOneReader) {
  // What eval writes, read by sessions/csv_reader.h (the Evaluation page's
  // and resuming's reader): field for field, CRLF or LF.
  const std::vector<std::string> fields{"a", "", "b,c", "say \"hi\"", "two\nlines", "end"};
  const auto t =
      sessions::parse_csv(csv_line({"1", "2", "3", "4", "5", "6"}) + "\n" + csv_line(fields) +
                              "\r\n" + csv_line({"x", "y", "", "", "", "\r\n"}),
                          "t.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], fields);
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"x", "y", "", "", "", "\r\n"}));
  EXPECT_EQ(csv_line(sessions::parse_csv(kResultsHeader, "h").header), kResultsHeader);
  EXPECT_EQ(csv_line(sessions::parse_csv(kExamplesHeader, "h").header), kExamplesHeader);
}

TEST(ResultsTable, AlignedColumns) {
  EXPECT_EQ(aligned_table({{"method", "k"}, {"gist-only", ""}, {"ssa", "4"}}),
            "method     k\ngist-only  \nssa        4\n");
}

}  // namespace
}  // namespace ssa::eval
