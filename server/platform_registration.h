#pragma once
// RegisterPlatform without gRPC: agents describe the device they measure on.

#include "absl/status/status.h"
#include "convlat/v1/profiler.pb.h"
#include "server/measurement_store.h"

namespace convlat::server {

// Creates the platform or updates its description. Fields the request leaves unset keep their
// stored values, so `convlat-agent import` can name a platform without erasing its description.
// INVALID_ARGUMENT naming the field ("platform.name ...") for a bad description.
absl::Status RegisterPlatform(MeasurementStore& store, const v1::RegisterPlatformRequest& request,
                              v1::RegisterPlatformResponse& response);

}  // namespace convlat::server
