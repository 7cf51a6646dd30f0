#include "server/platform_query.h"

namespace convlat::server {

absl::Status ListPlatformSummaries(const QueryCore& core, v1::ListPlatformsResponse& response) {
  absl::StatusOr<std::vector<v1::Platform>> platforms = core.store.ListPlatforms();
  if (!platforms.ok()) return platforms.status();
  for (v1::Platform& platform : *platforms) {
    absl::StatusOr<MeasurementCounts> counts = core.store.CountMeasurements(platform.name());
    if (counts.status().code() == absl::StatusCode::kNotFound) continue;  // removed since it was listed
    if (!counts.ok()) return counts.status();
    v1::PlatformSummary* summary = response.add_platforms();
    summary->set_sample_count(counts->current);
    summary->set_noisy_count(counts->noisy);
    summary->set_superseded_count(counts->superseded);
    summary->set_retired_count(counts->retired);
    if (std::shared_ptr<const FittedModel> fitted = core.models.Get(platform.name())) {
      summary->set_model_ready(true);
      summary->set_fit_mape(fitted->info.fit_mape());
      summary->set_op_fit_mape(fitted->info.op_fit_mape());
      summary->set_op_sample_count(fitted->info.op_sample_count());
      summary->set_transferred(fitted->transferred);
    }
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
