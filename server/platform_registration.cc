#include "server/platform_registration.h"

#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace convlat::server {

absl::Status RegisterPlatform(MeasurementStore& store, const v1::RegisterPlatformRequest& request,
                              v1::RegisterPlatformResponse& response) {
  if (absl::Status s = ValidatePlatform(request.platform()); !s.ok()) return s;
  // proto3 MergeFrom copies only the scalars that are set, onto the stored description.
  v1::Platform merged;
  absl::StatusOr<v1::Platform> existing = store.GetPlatform(request.platform().name());
  if (existing.ok()) {
    merged = *std::move(existing);
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  merged.MergeFrom(request.platform());
  absl::StatusOr<UpsertPlatformResult> result = store.UpsertPlatform(merged);
  if (!result.ok()) return result.status();
  *response.mutable_platform() = result->platform;
  response.set_created(result->created);
  spdlog::info("platform '{}' {} by agent '{}' ({})", merged.name(), result->created ? "registered" : "updated",
               request.agent_id(), merged.device_name());
  return absl::OkStatus();
}

}  // namespace convlat::server
