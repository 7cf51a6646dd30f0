#pragma once
// Estimates from what is known of a device rather than from what was measured on it: for the ops
// of a network that a platform's agents never timed (public conv-only data, a GPU whose agent ran
// only convolutions), so that a whole-network answer leaves nothing silently out. Labelled
// `spec-roofline` in the explanation, and counted apart from the measured models' share.

#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

// A device's peaks, from its registered description or published specifications; 0 = unknown.
struct DeviceSpec {
  double memory_bandwidth_gbps = 0;  // peak DRAM bandwidth
  double peak_gflops = 0;            // fp32 on the general cores (the ops convlat estimates use no tensor cores)
  // Fixed cost of one kernel or primitive on this platform: what its fitted convolution model charges the
  // smallest convolution there is (launch and set-up; measured, not assumed). 0 when there is no such model.
  double launch_floor_us = 0;
  // The last-level cache (CPUs: the L3 the agent read from sysfs; GPUs: L2): what a network's
  // layers can find their data still in (model/residency/). 0 when unknown.
  int64_t last_level_cache_bytes = 0;
  // CPUs: the share of their hot gain layers keep inside a network, by layout (the platform's
  // calibration, model/residency/hot_gain_calibration.h); a layout not in it keeps all of it.
  absl::flat_hash_map<v1::Layout, double> hot_gain_kept;
  double HotGainKept(v1::Layout layout) const;
};

// FP32 lanes per SM of an NVIDIA compute capability ("7.5"), from the CUDA C++ Programming Guide's
// throughput table: 192 on Kepler, 128 on Maxwell, 64 on GP100, V100, T4 and A100, 128 on consumer
// Pascal, Ampere GA10x, Ada, Hopper and Blackwell. 0 for one the table does not know.
int NvidiaFp32LanesPerSm(absl::string_view compute_capability);

// Peak fp32 GFLOP/s of an NVIDIA GPU: SMs x clock x 2 x NvidiaFp32LanesPerSm. 0 when an input is unknown.
double NvidiaPeakFp32Gflops(int sms, double clock_mhz, absl::string_view compute_capability);

// launch floor + max(bytes / bandwidth, flops / peak): an op running at the device's roof, after the
// fixed cost every kernel on it pays. Nothing when the bandwidth is unknown (an op's bytes are the
// one thing always known; without a bandwidth there is nothing to divide them by).
std::optional<Prediction> EstimateFromSpec(const DeviceSpec& spec, double bytes, double flops);

// What `conv_model` charges the smallest convolution there is (1x1x1x1 input, one 1x1 filter): the
// fixed cost of one kernel on the platform, as its measurements show it.
double LaunchFloorUs(const LatencyModel& conv_model);

// The peaks `platform` declares (GPUs: fp32 throughput from its SMs, clock and compute capability;
// CPUs: bandwidth only) and the launch floor of its fitted convolution model.
DeviceSpec DeviceSpecOf(const v1::Platform& platform, const LatencyModel& conv_model);

}  // namespace convlat::model
