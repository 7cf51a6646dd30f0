#include "server/platform_query.h"

namespace convlat::server {

absl::Status ListPlatformSummaries(const QueryCore& core, v1::ListPlatformsResponse& response) {
  absl::StatusOr<std::vector<v1::Platform>> platforms = core.store.ListPlatforms();
  if (!platforms.ok()) return platforms.status();
  for (v1::Platform& platform : *platforms) {
    v1::PlatformSummary* summary = response.add_platforms();
    absl::StatusOr<int64_t> samples = core.store.CountSuccessfulMeasurements(platform.name());
    if (!samples.ok()) return samples.status();
    summary->set_sample_count(*samples);
    summary->set_model_ready(core.models.Get(platform.name()) != nullptr);
    *summary->mutable_platform() = std::move(platform);
  }
  return absl::OkStatus();
}

absl::Status DescribePlatformModel(const QueryCore& core, const v1::GetPlatformModelRequest& request,
                                   v1::PlatformModel& response) {
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(core, request.platform(), "platform");
  if (!fitted.ok()) return fitted.status();
  response = (*fitted)->info;
  return absl::OkStatus();
}

}  // namespace convlat::server
