#pragma once
// Platforms the server knows out of the box by their spec alone (no measurements): `jetson-nano`,
// registered from the GPU spec table at start, served the transfer model until an agent on a Nano
// pushes real data. A platform already in the store (measured, registered, or removed and not
// purged) is left as it is.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"

namespace convlat::server {

struct BuiltInPlatform {
  const char* name;         // the platform's name, e.g. "jetson-nano"
  const char* device_name;  // what the GPU spec table is searched for
};

// jetson-nano (NVIDIA Jetson Nano: Maxwell GM20B, 1 SM, 921.6 MHz, 25.6 GB/s, cc 5.3, 4 GB).
absl::Span<const BuiltInPlatform> BuiltInPlatforms();

// Registers each of `names` (BuiltInPlatforms' names; INVALID_ARGUMENT naming --builtin_platforms
// for another) that the store lacks, spec_only, and queues a refit of each (its transfer model).
absl::Status RegisterBuiltInPlatforms(MeasurementStore& store, ModelRegistry& models,
                                      const std::vector<std::string>& names);

}  // namespace convlat::server
