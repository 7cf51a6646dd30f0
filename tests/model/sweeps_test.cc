#include "model/sweeps.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/conv_shape.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

void ExpectValidAndDistinct(const std::vector<v1::ConvParams>& configs) {
  std::set<std::string> seen;
  for (size_t i = 0; i < configs.size(); ++i) {
    EXPECT_TRUE(ValidateConvParams(configs[i], "").ok()) << i;
    EXPECT_TRUE(seen.insert(configs[i].SerializeAsString()).second) << "repeated config " << i;
  }
}

TEST(SweepsTest, QuickIsSmallAndValid) {
  absl::StatusOr<std::vector<v1::ConvParams>> quick = NamedSweep("quick");
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_GE(quick->size(), 40u);
  EXPECT_LE(quick->size(), 100u);
  ExpectValidAndDistinct(*quick);
}

TEST(SweepsTest, DefaultHasDenseOutChannelSweep) {
  absl::StatusOr<std::vector<v1::ConvParams>> sweep = NamedSweep("default");
  ASSERT_TRUE(sweep.ok());
  ExpectValidAndDistinct(*sweep);
  std::set<int> out_channels;
  for (const v1::ConvParams& p : *sweep) {
    if (p.n() == 1 && p.c() == 64 && p.h() == 28 && p.r() == 3) out_channels.insert(p.k());
  }
  for (int k = 1; k <= 512; ++k) EXPECT_TRUE(out_channels.count(k)) << k;
}

TEST(SweepsTest, UnknownNameIsNotFound) {
  EXPECT_EQ(NamedSweep("huge").status().code(), absl::StatusCode::kNotFound);
}

class SweepFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path = ::testing::TempDir() + "/sweep_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
    std::ofstream(path) << text;
    return path;
  }
};

TEST_F(SweepFileTest, ReadsSpecsSkippingCommentsAndRepeats) {
  const std::string path = Write(
      "# tiny sweep\n\nn=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1  # first\n"
      "n=1,c=8,h=8,w=8,k=16,r=1,s=1\nn=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1\n");
  absl::StatusOr<std::vector<v1::ConvParams>> configs = ResolveSweep(path);
  ASSERT_TRUE(configs.ok()) << configs.status();
  ASSERT_EQ(configs->size(), 2u);
  EXPECT_EQ((*configs)[1].k(), 16);
  EXPECT_EQ((*configs)[1].groups(), 1);  // normalized
}

TEST_F(SweepFileTest, ErrorsNameFileAndLine) {
  const std::string path = Write("n=1,c=8,h=8,w=8,k=8,r=3,s=3\nn=1,c=8,h=8,w=8,k=0,r=3,s=3\n");
  const absl::Status status = LoadSweepFile(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(path + ":2: k must be > 0"));
}

TEST_F(SweepFileTest, EmptyAndMissingFiles) {
  EXPECT_THAT(LoadSweepFile(Write("# nothing\n")).status().message(), HasSubstr("has no configs"));
  EXPECT_EQ(LoadSweepFile("/nonexistent/sweep.txt").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace convlat::model
