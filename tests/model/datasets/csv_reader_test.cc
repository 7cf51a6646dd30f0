#include "model/datasets/csv_reader.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CsvReaderTest, ReadsQuotedCellsAcrossLines) {
  std::istringstream in("a, b ,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\n\n2,\"multi\nline\",3\n");
  absl::StatusOr<CsvReader> reader = CsvReader::Open(in, "t.csv");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->ColumnIndex("b"), 1);
  auto first = reader->Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_THAT(**first, ElementsAre("1", "x,y", "say \"hi\""));
  EXPECT_EQ(reader->line(), 2);
  auto second = reader->Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_THAT(**second, ElementsAre("2", "multi\nline", "3"));
  EXPECT_EQ(reader->line(), 4);
  auto end = reader->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(CsvReaderTest, ErrorsNameSourceAndLine) {
  std::istringstream short_row("a,b\n1,2\n3\n");
  auto reader = CsvReader::Open(short_row, "t.csv");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(reader->Next().ok());
  EXPECT_THAT(reader->Next().status().message(), HasSubstr("t.csv:3: 1 cells, but the header has 2"));

  std::istringstream unterminated("a\n\"open\n");
  reader = CsvReader::Open(unterminated, "u.csv");
  ASSERT_TRUE(reader.ok());
  EXPECT_THAT(reader->Next().status().message(), HasSubstr("u.csv:2: unterminated"));

  std::istringstream empty("");
  EXPECT_THAT(CsvReader::Open(empty, "e.csv").status().message(), HasSubstr("empty file"));
  std::istringstream repeated("a,a\n");
  EXPECT_THAT(CsvReader::Open(repeated, "r.csv").status().message(), HasSubstr("'a' appears twice"));
}

}  // namespace
}  // namespace convlat::model
