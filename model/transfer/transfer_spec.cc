#include "model/transfer/transfer_spec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "model/latency/spec_roofline.h"

namespace convlat::model {

bool TimedThroughTensorFlow(const v1::Platform& platform) {
  return absl::AsciiStrToLower(platform.library()) == "tensorflow";
}

absl::StatusOr<TransferSpec> TransferSpecOf(const v1::Platform& platform, absl::string_view field_path) {
  auto field = [&](absl::string_view name) { return absl::StrCat(field_path, ".", name); };
  if (platform.compute_units() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field("compute_units"), " (SMs) must be > 0 to transfer predictions, got ", platform.compute_units()));
  }
  if (platform.core_clock_mhz() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field("core_clock_mhz"), " must be > 0 to transfer predictions, got ", platform.core_clock_mhz()));
  }
  if (platform.memory_bandwidth_gbps() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(field("memory_bandwidth_gbps"),
                                                   " must be > 0 to transfer predictions, got ",
                                                   platform.memory_bandwidth_gbps()));
  }
  if (platform.memory_bytes() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field("memory_bytes"), " must not be negative, got ", platform.memory_bytes()));
  }
  if (platform.l2_cache_bytes() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field("l2_cache_bytes"), " must not be negative, got ", platform.l2_cache_bytes()));
  }
  TransferSpec spec;
  spec.name = platform.name();
  spec.sms = platform.compute_units();
  spec.peak_gflops =
      NvidiaPeakFp32Gflops(platform.compute_units(), platform.core_clock_mhz(), platform.compute_capability());
  if (spec.peak_gflops <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(field("compute_capability"), " '", platform.compute_capability(),
                                                   "' is not one of an NVIDIA architecture convlat knows (e.g. "
                                                   "\"5.3\", \"7.0\", \"8.6\")"));
  }
  spec.fp32_lanes_per_sm = NvidiaFp32LanesPerSm(platform.compute_capability());
  spec.bandwidth_gbps = platform.memory_bandwidth_gbps();
  spec.l2_cache_bytes = platform.l2_cache_bytes();
  spec.tensorflow_runtime = TimedThroughTensorFlow(platform);
  return spec;
}

HardwareInfo HardwareOf(const TransferSpec& spec) {
  return {.compute_units = spec.sms, .memory_bandwidth_gbps = spec.bandwidth_gbps};
}

}  // namespace convlat::model
