// The table of published GPU specifications: the names datasets, drivers and file names spell, and
// filling a platform's unknown figures without overriding what it declares.
#include "model/datasets/gpu_specs.h"

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

TEST(FindGpuSpecTest, FindsTheDevicesThePublicDatasetsAndDriversName) {
  // NeuSight's file names and device column, Justus' GPUs, what the CUDA runtime reports on an H100/H200.
  const struct {
    const char* device;
    int sms;
    double bandwidth_gbps;
  } kCases[] = {
      {"NVIDIA_A100_80GB_PCIe", 108, 1935},
      {"NVIDIA A100-SXM4-40GB", 108, 1555},
      {"Tesla_V100-PCIE-32GB", 80, 900},
      {"Tesla T4", 40, 320},
      {"GeForce GTX 1080 Ti", 28, 484},
      {"Tesla K40c", 15, 288},
      {"Tesla K80", 13, 240},
      {"Tesla M60", 16, 160},
      {"NVIDIA H100 80GB HBM3", 132, 3352},
      {"NVIDIA H100 PCIe", 114, 2039},
      {"NVIDIA H200", 132, 4800},
      {"Jetson Nano", 1, 25.6},
      // Names that contain another entry's: the more specific one wins.
      {"NVIDIA A10G", 80, 600},
      {"NVIDIA A10", 72, 600},
      {"NVIDIA L40S", 142, 864},
      {"NVIDIA L4", 58, 300},
      {"NVIDIA GeForce RTX 3090 Ti", 84, 1008},
      {"NVIDIA GeForce RTX 3090", 82, 936},
      {"Tesla P100-SXM2-16GB", 56, 732},
      {"Tesla P40", 30, 346},
  };
  for (const auto& c : kCases) {
    const GpuSpec* spec = FindGpuSpec(c.device);
    ASSERT_NE(spec, nullptr) << c.device;
    EXPECT_EQ(spec->sms, c.sms) << c.device;
    EXPECT_EQ(spec->memory_bandwidth_gbps, c.bandwidth_gbps) << c.device;
    EXPECT_FALSE(spec->compute_capability.empty()) << c.device;
    EXPECT_GT(spec->core_clock_mhz, 0) << c.device;
  }
  EXPECT_EQ(FindGpuSpec("AMD EPYC 7B13"), nullptr);
  EXPECT_EQ(KnownStreamingMultiprocessors("Some Future GPU"), 0);
}

TEST(FillFromGpuSpecTableTest, FillsOnlyWhatThePlatformLeavesUnknown) {
  v1::Platform platform;
  platform.set_device_name("Tesla T4");
  platform.set_compute_units(40);
  platform.set_core_clock_mhz(1200);  // declared (say, a locked clock): kept
  FillFromGpuSpecTable(platform);
  EXPECT_EQ(platform.core_clock_mhz(), 1200);
  EXPECT_EQ(platform.memory_bandwidth_gbps(), 320);
  EXPECT_EQ(platform.compute_capability(), "7.5");
  EXPECT_EQ(platform.kind(), v1::PLATFORM_KIND_GPU);
  EXPECT_GT(platform.memory_bytes(), 0);
  EXPECT_GT(platform.l2_cache_bytes(), 0);

  v1::Platform unknown;
  unknown.set_device_name("AMD EPYC 7B13");
  FillFromGpuSpecTable(unknown);
  EXPECT_EQ(unknown.memory_bandwidth_gbps(), 0);
  EXPECT_EQ(unknown.kind(), v1::PLATFORM_KIND_UNSPECIFIED);
}

}  // namespace
}  // namespace convlat::model
