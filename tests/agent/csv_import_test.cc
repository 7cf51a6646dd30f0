#include "profiler_agent/csv_import.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

TEST(CsvImportTest, ReadsRequiredAndOptionalColumns) {
  std::istringstream in(
      "n,c,h,w,k,r,s,stride_h,stride_w,pad_h,pad_w,groups,dtype,layout,median_us,p90_us,algorithm\n"
      "1,64,56,56,64,3,3,1,1,1,1,1,fp16,nhwc,120.5,130,\"implicit_gemm, tile 128x64\"\n"
      "8,32,112,112,32,3,3,2,2,1,1,32,fp32,nchw,88,,\n");
  absl::StatusOr<std::vector<v1::Measurement>> rows = ParseMeasurementsCsv(in, "seed.csv", "importer");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].params().dtype(), v1::DATA_TYPE_FP16);
  EXPECT_EQ((*rows)[0].params().layout(), v1::LAYOUT_NHWC);
  EXPECT_DOUBLE_EQ((*rows)[0].latency().median_us(), 120.5);
  EXPECT_EQ((*rows)[0].algorithm(), "implicit_gemm, tile 128x64");
  EXPECT_EQ((*rows)[0].backend(), "import");
  EXPECT_EQ((*rows)[1].params().groups(), 32);
  EXPECT_EQ((*rows)[1].params().dilation_h(), 1);  // normalized
  EXPECT_EQ((*rows)[1].agent_id(), "importer");
}

TEST(CsvImportTest, ErrorsNameLineAndColumn) {
  auto error = [](const std::string& text) {
    std::istringstream in(text);
    return std::string(ParseMeasurementsCsv(in, "seed.csv", "a").status().message());
  };
  EXPECT_THAT(error("n,c,h,w,k,r,s\n"), HasSubstr("seed.csv:1: required column 'median_us' is missing"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us,colour\n"), HasSubstr("unknown column 'colour'"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n1,3,8,8,4,3,3,5\n1,x,8,8,4,3,3,5\n"),
              HasSubstr("seed.csv:3: column 'c' is not an integer"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n1,3,8,8,0,3,3,5\n"), HasSubstr("seed.csv:2: k must be > 0"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n1,3,8,8,4,3,3,-1\n"), HasSubstr("'median_us' must be > 0"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us,dtype\n1,3,8,8,4,3,3,5,fp64\n"), HasSubstr("column 'dtype' unknown dtype"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n"), HasSubstr("no measurements"));
}

}  // namespace
}  // namespace convlat::agent
