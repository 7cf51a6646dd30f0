#pragma once
// Published specifications of NVIDIA GPUs, for devices known by their name only: the public
// datasets name their device but do not describe it, and a platform may be registered without its
// figures. The agent reads the real figures from cudaGetDeviceProperties; this table stands in for
// them, with the same conventions (clocks as cudaDeviceProp reports them: the maximum SM clock and
// the memory clock).

#include <cstdint>

#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

struct GpuSpec {
  absl::string_view name_part;  // matched case-insensitively inside the device name ('_' and '-' read as ' ')
  int sms = 0;
  // 0 / empty: not in the table (only the SM count is known for that GPU).
  double core_clock_mhz = 0;
  double memory_clock_mhz = 0;
  int64_t memory_bytes = 0;
  double memory_bandwidth_gbps = 0;
  absl::string_view compute_capability;
  int64_t l2_cache_bytes = 0;
};

// The table entry whose name part the device name contains (most specific first), or null.
const GpuSpec* FindGpuSpec(absl::string_view device_name);

// 0 when the device is not in the table.
int KnownStreamingMultiprocessors(absl::string_view device_name);

// Sets every description field of `platform` that is still unset (0 or empty) from the table
// entry of its device_name (and its kind to GPU when unset); leaves it as it is for a device the
// table does not know.
void FillFromGpuSpecTable(v1::Platform& platform);

}  // namespace convlat::model
