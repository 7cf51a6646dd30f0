// Estimates from a device's peaks: the arithmetic against vendors' published figures, and the
// roofline's choice between bandwidth and throughput.
#include "model/latency/spec_roofline.h"

#include <gtest/gtest.h>

#include "model/latency/roofline_model.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

// The data sheets' fp32 peaks (TFLOP/s at boost clock) follow from SMs x clock x lanes per SM.
TEST(NvidiaPeakFp32GflopsTest, MatchesPublishedPeaksAcrossGenerations) {
  EXPECT_NEAR(NvidiaPeakFp32Gflops(15, 875, "3.5"), 5040, 10);     // K40 (Kepler): 5.04 TFLOP/s
  EXPECT_NEAR(NvidiaPeakFp32Gflops(28, 1582, "6.1"), 11340, 20);   // GTX 1080 Ti: 11.3
  EXPECT_NEAR(NvidiaPeakFp32Gflops(80, 1380, "7.0"), 14130, 20);   // V100 PCIe: 14
  EXPECT_NEAR(NvidiaPeakFp32Gflops(40, 1590, "7.5"), 8141, 10);    // T4: 8.1
  EXPECT_NEAR(NvidiaPeakFp32Gflops(108, 1410, "8.0"), 19490, 20);  // A100: 19.5
  EXPECT_NEAR(NvidiaPeakFp32Gflops(132, 1980, "9.0"), 66900, 50);  // H100 SXM: 67
}

TEST(NvidiaFp32LanesPerSmTest, OneWidthPerArchitecture) {
  EXPECT_EQ(NvidiaFp32LanesPerSm("3.7"), 192);  // K80
  EXPECT_EQ(NvidiaFp32LanesPerSm("5.3"), 128);  // Jetson Nano
  EXPECT_EQ(NvidiaFp32LanesPerSm("6.0"), 64);   // P100
  EXPECT_EQ(NvidiaFp32LanesPerSm("6.1"), 128);  // GTX 1080 Ti
  EXPECT_EQ(NvidiaFp32LanesPerSm("8.0"), 64);   // A100
  EXPECT_EQ(NvidiaFp32LanesPerSm("8.6"), 128);  // A10
  EXPECT_EQ(NvidiaFp32LanesPerSm("7"), 0);
  EXPECT_EQ(NvidiaFp32LanesPerSm("avx512"), 0);
}

TEST(NvidiaPeakFp32GflopsTest, UnknownInputsGiveZero) {
  EXPECT_EQ(NvidiaPeakFp32Gflops(0, 1590, "7.5"), 0);
  EXPECT_EQ(NvidiaPeakFp32Gflops(40, 0, "7.5"), 0);
  EXPECT_EQ(NvidiaPeakFp32Gflops(40, 1590, ""), 0);
  EXPECT_EQ(NvidiaPeakFp32Gflops(40, 1590, "avx2"), 0);
  EXPECT_EQ(NvidiaPeakFp32Gflops(40, 1590, "42.0"), 0);  // an architecture the table does not know
}

TEST(EstimateFromSpecTest, AMemoryBoundOpCostsItsBytesAtPeakBandwidthAfterTheLaunchFloor) {
  const DeviceSpec t4{.memory_bandwidth_gbps = 320, .peak_gflops = 8141, .launch_floor_us = 4};
  // A ReLU over 1x256x56x56 fp32: 3.2 MB read and written, 0.8 MFLOP.
  const double bytes = 2.0 * 256 * 56 * 56 * 4, flops = 256.0 * 56 * 56;
  const std::optional<Prediction> estimate = EstimateFromSpec(t4, bytes, flops);
  ASSERT_TRUE(estimate.has_value());
  EXPECT_NEAR(estimate->latency_us, 4 + bytes / 320e3, 1e-9);
  EXPECT_EQ(estimate->explanation.model_kind(), "spec-roofline");
  EXPECT_NEAR(estimate->explanation.memory_share(), (bytes / 320e3) / estimate->latency_us, 1e-12);
  EXPECT_EQ(estimate->explanation.compute_share(), 0);
  EXPECT_EQ(estimate->explanation.bytes(), bytes);
}

TEST(EstimateFromSpecTest, AComputeBoundOpCostsItsFlopsAtPeakThroughput) {
  const DeviceSpec t4{.memory_bandwidth_gbps = 320, .peak_gflops = 8141};
  const double bytes = 1e3, flops = 1e9;  // 1 GFLOP on 1 kB: arithmetic dominates
  const std::optional<Prediction> estimate = EstimateFromSpec(t4, bytes, flops);
  ASSERT_TRUE(estimate.has_value());
  EXPECT_NEAR(estimate->latency_us, flops / 8141e3, 1e-9);
  EXPECT_NEAR(estimate->explanation.compute_share(), 1, 1e-12);
}

TEST(EstimateFromSpecTest, NothingWithoutABandwidth) {
  EXPECT_FALSE(EstimateFromSpec(DeviceSpec{.peak_gflops = 8141, .launch_floor_us = 4}, 1e6, 1e6).has_value());
}

TEST(LaunchFloorTest, IsWhatTheConvModelChargesTheSmallestConvolution) {
  const RooflineModel model(/*fixed_us=*/7.5, /*us_per_flop=*/1e-6, /*us_per_byte=*/1e-4);
  v1::ConvParams smallest;
  smallest.set_n(1), smallest.set_c(1), smallest.set_h(1), smallest.set_w(1);
  smallest.set_k(1), smallest.set_r(1), smallest.set_s(1);
  EXPECT_DOUBLE_EQ(LaunchFloorUs(model), model.Predict(ResolveConvShape(smallest)).latency_us);
  EXPECT_GT(LaunchFloorUs(model), 7.5);
  EXPECT_LT(LaunchFloorUs(model), 7.51);
}

TEST(DeviceSpecOfTest, AGpuGetsItsThroughputFromItsSmsClockAndArchitecture) {
  v1::Platform t4;
  t4.set_kind(v1::PLATFORM_KIND_GPU);
  t4.set_compute_units(40);
  t4.set_core_clock_mhz(1590);
  t4.set_compute_capability("7.5");
  t4.set_memory_bandwidth_gbps(320);
  const RooflineModel model(5, 0, 0);
  const DeviceSpec spec = DeviceSpecOf(t4, model);
  EXPECT_EQ(spec.memory_bandwidth_gbps, 320);
  EXPECT_NEAR(spec.peak_gflops, 8141, 1);
  EXPECT_DOUBLE_EQ(spec.launch_floor_us, 5);

  // A CPU's ISA is no compute capability: bandwidth only.
  v1::Platform cpu = t4;
  cpu.set_kind(v1::PLATFORM_KIND_CPU);
  cpu.set_compute_capability("avx2");
  EXPECT_EQ(DeviceSpecOf(cpu, model).peak_gflops, 0);
}

TEST(DeviceSpecOfTest, ACpusHotGainCalibrationIsReadPerLayoutAndUncalibratedLayoutsKeepAll) {
  v1::Platform cpu;
  cpu.set_kind(v1::PLATFORM_KIND_CPU);
  (*cpu.mutable_hot_gain_kept())["native"] = 0.2;
  (*cpu.mutable_hot_gain_kept())["nchw"] = 0.6;
  (*cpu.mutable_hot_gain_kept())["blocked"] = 0.5;  // no such layout: left out
  const DeviceSpec spec = DeviceSpecOf(cpu, RooflineModel(5, 0, 0));
  EXPECT_DOUBLE_EQ(spec.HotGainKept(v1::LAYOUT_NATIVE), 0.2);
  EXPECT_DOUBLE_EQ(spec.HotGainKept(v1::LAYOUT_NCHW), 0.6);
  EXPECT_DOUBLE_EQ(spec.HotGainKept(v1::LAYOUT_UNSPECIFIED), 0.6) << "unspecified is NCHW";
  EXPECT_DOUBLE_EQ(spec.HotGainKept(v1::LAYOUT_NHWC), 1);
  EXPECT_EQ(spec.hot_gain_kept.size(), 2u);
}

}  // namespace
}  // namespace convlat::model
