#include "common/csv_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ptc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CsvReaderTest, QuotesCommasNewlinesAndDoubledQuotes) {
  auto r = ParseCsv(
      "a,b,c\r\n"
      "\"x, y\",\"line 1\nline 2\",\"say \"\"hi\"\"\"\n"
      ",\"\",plain\n",
      "t.csv");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_THAT((*r)[0].fields, ElementsAre("a", "b", "c"));
  EXPECT_THAT((*r)[1].fields, ElementsAre("x, y", "line 1\nline 2", "say \"hi\""));
  EXPECT_THAT((*r)[2].fields, ElementsAre("", "", "plain"));
  // Lines count the embedded line break: the third record starts on line 4.
  EXPECT_EQ((*r)[0].line, 1);
  EXPECT_EQ((*r)[1].line, 2);
  EXPECT_EQ((*r)[2].line, 4);
}

TEST(CsvReaderTest, BomBlankLinesAndNoFinalNewline) {
  auto r = ParseCsv("\xEF\xBB\xBFh1,h2\n\n1,2", "t.csv");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_THAT((*r)[0].fields, ElementsAre("h1", "h2"));
  EXPECT_THAT((*r)[1].fields, ElementsAre("1", "2"));
  EXPECT_EQ((*r)[1].line, 3);
  // A trailing comma is an empty last field.
  auto t = ParseCsv("a,\n", "t.csv");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT((*t)[0].fields, ElementsAre("a", ""));
}

TEST(CsvReaderTest, MalformedInputNamesTheLine) {
  auto open = ParseCsv("a,b\n1,\"never closed\n2,3\n", "bad.csv");
  ASSERT_FALSE(open.ok());
  EXPECT_THAT(std::string(open.status().message()), HasSubstr("bad.csv:2: a quoted field"));
  auto stray = ParseCsv("a,b\nx\"y,2\n", "bad.csv");
  ASSERT_FALSE(stray.ok());
  EXPECT_THAT(std::string(stray.status().message()), HasSubstr("bad.csv:2: a quote inside"));
  auto after = ParseCsv("a,b\n\"x\"y,2\n", "bad.csv");
  ASSERT_FALSE(after.ok());
  EXPECT_THAT(std::string(after.status().message()), HasSubstr("bad.csv:2: text after"));
  EXPECT_EQ(ReadCsvFile("/nonexistent.csv").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ptc
