#pragma once
// What the server knows about its platforms: ListPlatforms and GetPlatformModel without gRPC.

#include "absl/status/status.h"
#include "convlat/v1/latency.pb.h"
#include "server/model_lookup.h"

namespace convlat::server {

// Every registered platform with its measurements by state (current, noisy, superseded, retired)
// and its model's in-sample errors when it has one; store errors as the store reports them.
absl::Status ListPlatformSummaries(const QueryCore& core, v1::ListPlatformsResponse& response);

// The description of the platform's current model; ModelFor's errors.
absl::Status DescribePlatformModel(const QueryCore& core, const v1::GetPlatformModelRequest& request,
                                   v1::PlatformModel& response);

}  // namespace convlat::server
