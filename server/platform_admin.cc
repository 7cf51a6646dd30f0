#include "server/platform_admin.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

using ::google::protobuf::util::TimeUtil;

// The platform's current successful measurements: what its fits read after the change.
absl::Status SetCurrent(const AdminCore& core, const std::string& platform, v1::AdminChange& change) {
  absl::StatusOr<int64_t> current = core.store.CountSuccessfulMeasurements(platform);
  if (!current.ok()) return current.status();
  change.set_current(*current);
  return absl::OkStatus();
}

void Report(const AdminCore& core, const std::string& action, const v1::AdminChange& change) {
  if (change.dry_run()) return;
  core.metrics.AddAdminChange(change.platform(), "retired", change.retired());
  core.metrics.AddAdminChange(change.platform(), "purged", change.purged());
  spdlog::info("admin {} of platform '{}': {} measurements retired, {} purged{}{}", action, change.platform(),
               change.retired(), change.purged(), change.platform_removed() ? ", platform removed" : "",
               change.platform_purged() ? ", platform purged" : "");
}

}  // namespace

absl::Status RetireMeasurements(const AdminCore& core, const v1::RetireMeasurementsRequest& request,
                                v1::AdminChange& change) {
  if (absl::Status s = ValidatePlatformName(request.platform(), "platform"); !s.ok()) return s;
  if (!request.has_before()) {
    return absl::InvalidArgumentError("before is required: the time before which measurements are retired");
  }
  const google::protobuf::Timestamp& before = request.before();
  if (before.seconds() < TimeUtil::kTimestampMinSeconds || before.seconds() > TimeUtil::kTimestampMaxSeconds ||
      before.nanos() < 0 || before.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat("before must be a time between years 1 and 9999, got ",
                                                   before.seconds(), " s ", before.nanos(), " ns"));
  }
  // Records keep whole seconds: one measured at 12:00:00 is before 12:00:00.5, not before 12:00:00.
  const int64_t before_seconds = before.seconds() + (before.nanos() > 0 ? 1 : 0);
  absl::StatusOr<int64_t> retired =
      core.store.RetireMeasurements(request.platform(), before_seconds, request.dry_run());
  if (!retired.ok()) return retired.status();
  change.set_platform(request.platform());
  change.set_dry_run(request.dry_run());
  change.set_retired(*retired);
  if (absl::Status s = SetCurrent(core, request.platform(), change); !s.ok()) return s;
  if (request.dry_run()) {
    change.set_current(change.current() - *retired);
  } else if (*retired > 0) {
    core.models.RequestRefit(request.platform());
  }
  Report(core, "retire", change);
  return absl::OkStatus();
}

absl::Status RemovePlatform(const AdminCore& core, const v1::RemovePlatformRequest& request, v1::AdminChange& change) {
  if (absl::Status s = ValidatePlatformName(request.platform(), "platform"); !s.ok()) return s;
  absl::StatusOr<int64_t> retired = core.store.RemovePlatform(request.platform(), request.dry_run());
  if (!retired.ok()) return retired.status();
  change.set_platform(request.platform());
  change.set_dry_run(request.dry_run());
  change.set_retired(*retired);
  change.set_platform_removed(true);
  change.set_current(0);
  // At once rather than queued: the refit finds no current measurement and drops the model, so
  // queries get NOT_FOUND from this answer on. A platform that had no model has nothing to drop;
  // the refit's "no measurements" changes nothing of the removal. Queued as well, for a fit that
  // was running on the measurements before the removal and publishes after this one.
  if (!request.dry_run()) {
    core.models.Refit(request.platform()).IgnoreError();
    core.models.RequestRefit(request.platform());
  }
  Report(core, "remove", change);
  return absl::OkStatus();
}

absl::Status PurgeRetired(const AdminCore& core, const v1::PurgeRetiredRequest& request, v1::AdminChange& change) {
  if (absl::Status s = ValidatePlatformName(request.platform(), "platform"); !s.ok()) return s;
  absl::StatusOr<PurgeResult> purged = core.store.PurgeRetired(request.platform(), request.dry_run());
  if (!purged.ok()) return purged.status();
  change.set_platform(request.platform());
  change.set_dry_run(request.dry_run());
  change.set_purged(purged->purged);
  change.set_platform_purged(purged->platform_purged);
  // Purging deletes only history: the current measurements, and so the model, stay as they were.
  if (!purged->platform_purged) {
    if (absl::Status s = SetCurrent(core, request.platform(), change); !s.ok()) return s;
  }
  Report(core, "purge", change);
  return absl::OkStatus();
}

}  // namespace convlat::server
