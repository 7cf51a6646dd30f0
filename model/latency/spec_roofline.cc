#include "model/latency/spec_roofline.h"

#include <algorithm>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"

namespace convlat::model {
namespace {

int Fp32LanesPerSm(int major, int minor) {
  switch (major) {
    case 3: return 192;                    // Kepler
    case 5: return 128;                    // Maxwell
    case 6: return minor == 0 ? 64 : 128;  // GP100 : GP10x
    case 7: return 64;                     // Volta, Turing
    case 8: return minor == 0 ? 64 : 128;  // GA100 : GA10x, Ada
    case 9:
    case 10:
    case 12: return 128;  // Hopper, Blackwell
    default: return 0;
  }
}

}  // namespace

int NvidiaFp32LanesPerSm(absl::string_view compute_capability) {
  const std::vector<std::string> parts = absl::StrSplit(compute_capability, '.');
  int major = 0, minor = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &major) || !absl::SimpleAtoi(parts[1], &minor)) return 0;
  return Fp32LanesPerSm(major, minor);
}

double NvidiaPeakFp32Gflops(int sms, double clock_mhz, absl::string_view compute_capability) {
  if (sms <= 0 || clock_mhz <= 0) return 0;
  return sms * clock_mhz * 1e-3 * 2.0 * NvidiaFp32LanesPerSm(compute_capability);
}

std::optional<Prediction> EstimateFromSpec(const DeviceSpec& spec, double bytes, double flops) {
  if (spec.memory_bandwidth_gbps <= 0) return std::nullopt;
  const double memory_us = bytes / (spec.memory_bandwidth_gbps * 1e3);  // GB/s = 1e3 bytes per µs
  const double compute_us = spec.peak_gflops > 0 ? flops / (spec.peak_gflops * 1e3) : 0;
  const double roof_us = std::max(memory_us, compute_us);
  Prediction prediction;
  prediction.latency_us = spec.launch_floor_us + roof_us;
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind("spec-roofline");
  why.set_flops(flops);
  why.set_bytes(bytes);
  if (prediction.latency_us > 0) {
    const double bound_share = roof_us / prediction.latency_us;
    if (memory_us >= compute_us) {
      why.set_memory_share(bound_share);
    } else {
      why.set_compute_share(bound_share);
    }
  }
  return prediction;
}

double LaunchFloorUs(const LatencyModel& conv_model) {
  v1::ConvParams smallest;
  for (auto set : {&v1::ConvParams::set_n, &v1::ConvParams::set_c, &v1::ConvParams::set_h, &v1::ConvParams::set_w,
                   &v1::ConvParams::set_k, &v1::ConvParams::set_r, &v1::ConvParams::set_s}) {
    (smallest.*set)(1);
  }
  return std::max(0.0, conv_model.Predict(ResolveConvShape(smallest)).latency_us);
}

DeviceSpec DeviceSpecOf(const v1::Platform& platform, const LatencyModel& conv_model) {
  DeviceSpec spec;
  spec.memory_bandwidth_gbps = platform.memory_bandwidth_gbps();
  if (platform.kind() == v1::PLATFORM_KIND_GPU) {
    spec.peak_gflops =
        NvidiaPeakFp32Gflops(platform.compute_units(), platform.core_clock_mhz(), platform.compute_capability());
  }
  spec.launch_floor_us = LaunchFloorUs(conv_model);
  spec.last_level_cache_bytes =
      platform.last_level_cache_bytes() > 0 ? platform.last_level_cache_bytes() : platform.l2_cache_bytes();
  for (const auto& [layout_name, kept] : platform.hot_gain_kept()) {
    // RegisterPlatform refuses other names and values; a record from elsewhere is read as far as it can be.
    absl::StatusOr<v1::Layout> layout = ParseLayout(layout_name);
    if (layout.ok() && kept >= 0 && kept <= 1) spec.hot_gain_kept[*layout] = kept;
  }
  return spec;
}

double DeviceSpec::HotGainKept(v1::Layout layout) const {
  // Unspecified is NCHW, as everywhere the layout is named.
  auto it = hot_gain_kept.find(layout == v1::LAYOUT_UNSPECIFIED ? v1::LAYOUT_NCHW : layout);
  return it == hot_gain_kept.end() ? 1.0 : it->second;
}

}  // namespace convlat::model
