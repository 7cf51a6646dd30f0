#include "server/model_lookup.h"

#include "absl/strings/str_cat.h"
#include "server/request_validation.h"

namespace convlat::server {

absl::StatusOr<std::shared_ptr<const FittedModel>> ModelFor(const QueryCore& core, const std::string& platform,
                                                            absl::string_view field) {
  if (absl::Status s = ValidatePlatformName(platform, field); !s.ok()) return s;
  if (std::shared_ptr<const FittedModel> fitted = core.models.Get(platform)) return fitted;
  // Only the error path touches the store: the hot path is a map lookup.
  absl::StatusOr<v1::Platform> known = core.store.GetPlatform(platform);
  if (known.status().code() == absl::StatusCode::kNotFound) {
    // The store's own message cannot know which request field the name came from.
    return absl::NotFoundError(absl::StrCat(field, " '", platform, "' is not registered"));
  }
  if (!known.ok()) return known.status();
  absl::StatusOr<int64_t> samples = core.store.CountSuccessfulMeasurements(platform);
  if (core.models.FitQueuedOrRunning(platform)) {
    // Not the user's to fix: its first fit (a spec-only GPU's: the transfer's) is on its way.
    return absl::UnavailableError(
        absl::StrCat(field, " '", platform, "' has no model yet: its fit is queued or running (",
                     samples.ok() ? *samples : 0, " successful measurements stored); try again in a few seconds"));
  }
  const std::string reason = core.models.LastFitError(platform);
  return absl::FailedPreconditionError(absl::StrCat(
      field, " '", platform, "' has no model yet (", samples.ok() ? *samples : 0, " successful measurements stored",
      reason.empty() ? "" : "; " + reason, "); profile it with convlat-agent first"));
}

}  // namespace convlat::server
