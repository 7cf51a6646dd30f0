// Real oneDNN convolutions on this machine's CPU.
#include "profiler_agent/onednn_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/conv_spec.h"

namespace convlat::agent {
namespace {

TimingOptions Fast() {
  TimingOptions timing;
  timing.warmup_runs = 1;
  timing.min_repetitions = 3;
  timing.min_seconds = 0;
  timing.max_seconds = 0.2;
  return timing;
}

class OneDnnBackendTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OneDnnBackendTest, MeasuresARealConvolution) {
  auto backend = MakeOneDnnBackend();
  const v1::ConvParams params = *model::ParseConvSpec(GetParam());
  const std::vector<v1::Measurement> measurements = backend->Measure(params, Fast());
  ASSERT_EQ(measurements.size(), 1u);
  const v1::Measurement& m = measurements[0];
  ASSERT_FALSE(m.failed()) << m.failure_reason();
  EXPECT_GT(m.latency().median_us(), 0);
  EXPECT_LE(m.latency().min_us(), m.latency().median_us());
  EXPECT_LE(m.latency().median_us(), m.latency().p90_us());
  EXPECT_GE(m.latency().repetitions(), 3);
  EXPECT_EQ(m.backend(), "onednn");
  EXPECT_FALSE(m.algorithm().empty());
  EXPECT_GT(m.measured_at().seconds(), 0);
}

INSTANTIATE_TEST_SUITE_P(Layers, OneDnnBackendTest,
                         ::testing::Values("n=1,c=16,h=28,w=28,k=32,r=3,s=3,pad=1",
                                           "n=2,c=16,h=28,w=28,k=32,r=3,s=3,pad=1,layout=nhwc",
                                           "n=1,c=32,h=28,w=28,k=32,r=3,s=3,pad=1,groups=32",
                                           "n=1,c=16,h=28,w=28,k=16,r=3,s=3,pad=2,dilation=2",
                                           "n=1,c=8,h=15,w=9,k=12,r=5,s=3,stride_h=2,stride_w=1,pad_h=2,pad_w=0,groups=4"));

TEST(OneDnnBackendFailureTest, UnsupportedDtypeIsAFailedMeasurement) {
  auto backend = MakeOneDnnBackend();
  const std::vector<v1::Measurement> measurements =
      backend->Measure(*model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=int8"), Fast());
  ASSERT_EQ(measurements.size(), 1u);
  const v1::Measurement& m = measurements[0];
  EXPECT_TRUE(m.failed());
  EXPECT_THAT(m.failure_reason(), ::testing::HasSubstr("int8"));
  EXPECT_EQ(m.latency().median_us(), 0);
}

TEST(OneDnnBackendFailureTest, DescribesThePlatform) {
  absl::StatusOr<v1::Platform> platform = MakeOneDnnBackend()->DescribePlatform();
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ(platform->kind(), v1::PLATFORM_KIND_CPU);
  EXPECT_FALSE(platform->device_name().empty());
  EXPECT_GT(platform->compute_units(), 0);
  EXPECT_GT(platform->memory_bytes(), 0);
  EXPECT_EQ(platform->library(), "onednn");
  EXPECT_THAT(platform->library_version(), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}

}  // namespace
}  // namespace convlat::agent
