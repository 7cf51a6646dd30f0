#include "model/sweeps/sweeps.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"

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

TEST(SweepsTest, UnknownNameIsNotFound) { EXPECT_EQ(NamedSweep("huge").status().code(), absl::StatusCode::kNotFound); }

class SweepFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path =
        ::testing::TempDir() + "/sweep_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
    std::ofstream(path) << text;
    return path;
  }
};

TEST_F(SweepFileTest, ReadsSpecsSkippingCommentsAndRepeats) {
  const std::string path = Write(
      "# tiny sweep\n\nn=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1  # first\n"
      "n=1,c=8,h=8,w=8,k=16,r=1,s=1\nn=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1\n");
  absl::StatusOr<Sweep> sweep = ResolveSweep(path);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_EQ(sweep->convs.size(), 2u);
  EXPECT_EQ(sweep->convs[1].k(), 16);
  EXPECT_EQ(sweep->convs[1].groups(), 1);  // normalized
  EXPECT_TRUE(sweep->ops.empty());
}

TEST_F(SweepFileTest, HoldsOpsBesideConvolutions) {
  const std::string path = Write(
      "n=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1\nop=max_pool,n=1,c=8,h=8,w=8,kernel=2,stride=2\n"
      "op=activation,function=sigmoid,n=1,c=8,h=8,w=8\nop=max_pool,n=1,c=8,h=8,w=8,kernel=2,stride=2\n");
  absl::StatusOr<Sweep> sweep = ResolveSweep(path);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->convs.size(), 1u);
  ASSERT_EQ(sweep->ops.size(), 2u);  // the repeat measured once
  EXPECT_EQ(sweep->ops[0].kind(), v1::OP_KIND_MAX_POOL);
  EXPECT_EQ(sweep->ops[1].function(), "sigmoid");
  // A layer list keeps order and repeats.
  absl::StatusOr<std::vector<SpecLine>> lines = ReadSpecFile(path);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 4u);
  EXPECT_TRUE((*lines)[0].conv.has_value());
  EXPECT_TRUE((*lines)[3].op.has_value());
  EXPECT_EQ((*lines)[3].line, 4);
}

TEST_F(SweepFileTest, BadOpLinesNameFileAndLine) {
  const std::string path = Write("op=max_pool,n=1,c=8,h=8,w=8\n");
  EXPECT_THAT(LoadSweepFile(path).status().message(), HasSubstr(path + ":1: kernel_h and kernel_w are required"));
  EXPECT_THAT(LoadSweepFile(Write("op=warp,n=1\n")).status().message(), HasSubstr("unknown op 'warp'"));
}

TEST(NamedSweepsTest, QuickAndDefaultIncludeEveryOpKind) {
  for (const char* name : {"quick", "default", "ops"}) {
    absl::StatusOr<Sweep> sweep = ResolveSweep(name);
    ASSERT_TRUE(sweep.ok()) << name;
    EXPECT_EQ(sweep->convs.empty(), std::string(name) == "ops") << name;
    std::set<int> kinds;
    for (const v1::OpParams& op : sweep->ops) {
      EXPECT_TRUE(ValidateOpParams(op, "").ok()) << FormatOpSpec(op);
      kinds.insert(op.kind());
    }
    EXPECT_EQ(kinds.size(), 9u) << name;
  }
  EXPECT_LT(ResolveSweep("quick")->ops.size(), 100u);
  EXPECT_GT(ResolveSweep("default")->ops.size(), 400u);
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
