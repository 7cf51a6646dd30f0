// A target is described by its spec; a spec the transfer cannot use is refused naming the field.
#include "model/transfer/transfer_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/gpu_specs.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

v1::Platform JetsonNano() {
  v1::Platform platform;
  platform.set_name("jetson-nano");
  platform.set_device_name("NVIDIA Jetson Nano");
  FillFromGpuSpecTable(platform);
  return platform;
}

TEST(TransferSpecTest, JetsonNanoFromTheTable) {
  absl::StatusOr<TransferSpec> spec = TransferSpecOf(JetsonNano(), "platform");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->sms, 1);
  EXPECT_DOUBLE_EQ(spec->bandwidth_gbps, 25.6);
  EXPECT_NEAR(spec->peak_gflops, 235.9, 0.1);  // 1 SM x 921.6 MHz x 2 x 128 Maxwell lanes
  EXPECT_EQ(spec->fp32_lanes_per_sm, 128);
  EXPECT_FALSE(spec->tensorflow_runtime);
}

TEST(TransferSpecTest, ZeroSmsNameTheField) {
  v1::Platform platform = JetsonNano();
  platform.set_compute_units(0);
  const absl::Status status = TransferSpecOf(platform, "platform").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform.compute_units"));
}

TEST(TransferSpecTest, NegativeBandwidthNamesTheField) {
  v1::Platform platform = JetsonNano();
  platform.set_memory_bandwidth_gbps(-25.6);
  const absl::Status status = TransferSpecOf(platform, "platform").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform.memory_bandwidth_gbps must be > 0"));
}

TEST(TransferSpecTest, UnknownArchitectureNamesComputeCapability) {
  v1::Platform platform = JetsonNano();
  platform.set_compute_capability("avx512");
  const absl::Status status = TransferSpecOf(platform, "platform").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform.compute_capability 'avx512'"));
}

}  // namespace
}  // namespace convlat::model
