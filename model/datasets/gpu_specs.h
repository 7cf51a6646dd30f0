#pragma once
// Published specifications of common NVIDIA GPUs, for devices known by their name only: public
// datasets name their GPU and nothing else, and a platform may be registered without its figures.
// An agent on the device reads the real ones from cudaGetDeviceProperties instead.

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct GpuSpec {
  absl::string_view name;  // as vendors spell it, e.g. "Tesla T4"
  int sms = 0;
  double boost_clock_mhz = 0;
  double memory_bandwidth_gbps = 0;
  absl::string_view compute_capability;
  int64_t memory_bytes = 0;
  int64_t l2_cache_bytes = 0;
};

// The table's entry for a device name ("NVIDIA A100 80GB PCIe", "Tesla_V100-PCIE-32GB", ...), matched
// case-insensitively on its most specific part; nothing when the device is not in the table.
std::optional<GpuSpec> PublishedGpuSpec(absl::string_view device_name);

// 0 when the device is not in the table.
int KnownStreamingMultiprocessors(absl::string_view device_name);

// `platform` with every figure it leaves at 0 (or empty) filled from the published specification of
// its device_name, when the table has it; the figures it declares are kept. Returns whether it filled any.
bool FillFromPublishedSpec(v1::Platform& platform);

}  // namespace convlat::model
