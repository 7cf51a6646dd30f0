// convlat-client register-gpu's description of a GPU: the flags given, the rest from the GPU
// table, and errors that name the flag to type.
#include "client/gpu_registration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::client {
namespace {

using ::testing::HasSubstr;

TEST(GpuRegistrationTest, AKnownGpuIsDescribedByTheTable) {
  absl::StatusOr<v1::Platform> p = SpecOnlyGpuPlatform({.platform = "my-h100", .device = "NVIDIA H100 PCIe"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name(), "my-h100");
  EXPECT_EQ(p->kind(), v1::PLATFORM_KIND_GPU);
  EXPECT_TRUE(p->spec_only());
  EXPECT_EQ(p->compute_units(), 114);
  EXPECT_DOUBLE_EQ(p->core_clock_mhz(), 1755);
  EXPECT_DOUBLE_EQ(p->memory_bandwidth_gbps(), 2039);
  EXPECT_EQ(p->compute_capability(), "9.0");
  EXPECT_EQ(p->library(), "cudnn");
}

TEST(GpuRegistrationTest, FlagsOverrideTheTable) {
  absl::StatusOr<v1::Platform> p = SpecOnlyGpuPlatform(
      {.platform = "t4-capped", .device = "Tesla T4", .clock_mhz = 1110, .memory_gb = 15, .l2_mb = 4});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_DOUBLE_EQ(p->core_clock_mhz(), 1110);
  EXPECT_EQ(p->compute_units(), 40);
  EXPECT_EQ(p->memory_bytes(), int64_t{15} << 30);
  EXPECT_EQ(p->l2_cache_bytes(), int64_t{4} << 20);
}

TEST(GpuRegistrationTest, AGpuTheTableLacksNeedsItsFigures) {
  GpuDescription rtx{.platform = "my-5090", .device = "NVIDIA GeForce RTX 5090"};
  absl::Status missing = SpecOnlyGpuPlatform(rtx).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.message(),
              HasSubstr("--sms is required: 'NVIDIA GeForce RTX 5090' is not in convlat's GPU table"));
  rtx.sms = 170;
  rtx.clock_mhz = 2407;
  rtx.bandwidth_gbps = 1792;
  EXPECT_THAT(SpecOnlyGpuPlatform(rtx).status().message(), HasSubstr("--compute_capability is required"));
  rtx.compute_capability = "12.0";
  absl::StatusOr<v1::Platform> p = SpecOnlyGpuPlatform(rtx);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->compute_units(), 170);
  EXPECT_EQ(p->l2_cache_bytes(), 0) << "unknown, and said so";
}

TEST(GpuRegistrationTest, BadFiguresNameTheirFlag) {
  EXPECT_THAT(SpecOnlyGpuPlatform({.platform = "x", .device = "Tesla T4", .sms = -4}).status().message(),
              HasSubstr("--sms must be > 0, got -4"));
  EXPECT_THAT(SpecOnlyGpuPlatform({.platform = "x", .device = "Tesla T4", .bandwidth_gbps = -1}).status().message(),
              HasSubstr("--bandwidth_gbps must be > 0"));
  EXPECT_THAT(
      SpecOnlyGpuPlatform({.platform = "x", .device = "Tesla T4", .compute_capability = "sm_75"}).status().message(),
      HasSubstr("--compute_capability 'sm_75' is not an NVIDIA compute capability"));
  EXPECT_THAT(SpecOnlyGpuPlatform({.platform = "x"}).status().message(), HasSubstr("--device is required"));
  EXPECT_THAT(SpecOnlyGpuPlatform({.device = "Tesla T4"}).status().message(), HasSubstr("platform name is required"));
}

}  // namespace
}  // namespace convlat::client
