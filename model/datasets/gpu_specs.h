#pragma once
// Published SM counts of common NVIDIA GPUs, for measurements that name their device but not its
// SM count (public datasets). The agent reads the real figure from cudaGetDeviceProperties.

#include "absl/strings/string_view.h"

namespace convlat::model {

// 0 when the device is not in the table.
int KnownStreamingMultiprocessors(absl::string_view device_name);

}  // namespace convlat::model
