#include "server/platform_registration.h"

#include "absl/strings/str_cat.h"
#include "model/transfer/transfer_spec.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace convlat::server {

absl::Status RegisterPlatform(MeasurementStore& store, const v1::RegisterPlatformRequest& request,
                              v1::RegisterPlatformResponse& response) {
  if (absl::Status s = ValidatePlatform(request.platform()); !s.ok()) return s;
  // A platform registered from its spec alone is predicted from that spec: every figure the
  // transfer needs must be in the request, positive.
  if (request.platform().spec_only()) {
    if (request.platform().kind() != v1::PLATFORM_KIND_GPU) {
      return absl::InvalidArgumentError(
          "platform.kind must be PLATFORM_KIND_GPU for a platform registered from its spec (spec_only)");
    }
    if (absl::Status s = model::TransferSpecOf(request.platform(), "platform").status(); !s.ok()) return s;
  }
  // proto3 MergeFrom copies only the scalars that are set, onto the stored description.
  v1::Platform merged;
  absl::StatusOr<v1::Platform> existing = store.GetPlatform(request.platform().name());
  if (existing.ok()) {
    // An agent describes its device from the driver (cudaGetDeviceProperties): figures from a
    // spec sheet or a table must not overwrite those. A spec-only platform may be described again.
    if (request.platform().spec_only() && !existing->spec_only()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "platform '", request.platform().name(),
          "' was registered by an agent, which describes it from the device itself; a spec-only registration "
          "would overwrite that description (choose another platform name)"));
    }
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
