// The Platform a GPU registers as, from the facts the CUDA runtime and cuDNN report.
#include "profiler_agent/cudnn/cuda_device.h"

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

// What an H100 SXM with driver 13.0 and cuDNN 9.19.0 reports.
CudaDeviceFacts H100() {
  CudaDeviceFacts facts;
  facts.name = "NVIDIA H100 80GB HBM3";
  facts.multiprocessor_count = 132;
  facts.core_clock_khz = 1'980'000;
  facts.memory_clock_khz = 2'619'000;
  facts.memory_bus_width_bits = 5120;
  facts.l2_cache_bytes = 52'428'800;
  facts.memory_bytes = 85'045'870'592;
  facts.compute_capability_major = 9;
  facts.compute_capability_minor = 0;
  facts.driver_version = 13000;
  facts.cudnn_version = 91900;
  return facts;
}

TEST(CudaDeviceTest, PlatformFromDeviceFacts) {
  const v1::Platform platform = PlatformFromDeviceFacts(H100());
  EXPECT_EQ(platform.kind(), v1::PLATFORM_KIND_GPU);
  EXPECT_EQ(platform.device_name(), "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(platform.compute_units(), 132);
  EXPECT_DOUBLE_EQ(platform.core_clock_mhz(), 1980);
  EXPECT_DOUBLE_EQ(platform.memory_clock_mhz(), 2619);
  EXPECT_EQ(platform.memory_bytes(), 85'045'870'592);
  EXPECT_EQ(platform.l2_cache_bytes(), 52'428'800);
  EXPECT_EQ(platform.compute_capability(), "9.0");
  EXPECT_EQ(platform.driver_version(), "13.0");
  EXPECT_EQ(platform.library(), "cudnn");
  EXPECT_EQ(platform.library_version(), "9.19.0");
  // The H100 SXM's 3.35 TB/s.
  EXPECT_NEAR(platform.memory_bandwidth_gbps(), 3352.3, 0.1);
  EXPECT_TRUE(platform.name().empty()) << "the agent adds the user's platform name";
}

TEST(CudaDeviceTest, PeakBandwidthIsDoubleDataRateAcrossTheBus) {
  // A T4: 5001 MHz GDDR6 on a 256-bit bus, 320 GB/s.
  EXPECT_NEAR(PeakMemoryBandwidthGBps(5'001'000, 256), 320.06, 0.01);
  EXPECT_EQ(PeakMemoryBandwidthGBps(0, 256), 0);
}

TEST(CudaDeviceTest, VersionStrings) {
  EXPECT_EQ(CudaVersionString(13000), "13.0");
  EXPECT_EQ(CudaVersionString(12040), "12.4");
  EXPECT_EQ(CudnnVersionString(91900), "9.19.0");
  EXPECT_EQ(CudnnVersionString(90100), "9.1.0");
  EXPECT_EQ(CudnnVersionString(8906), "8.9.6");
}

}  // namespace
}  // namespace convlat::agent
