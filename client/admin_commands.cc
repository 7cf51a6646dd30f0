// convlat-client retire / remove-platform / purge: AdminService calls, dry run unless --yes.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/command_output.h"
#include "client/commands.h"
#include "convlat/v1/admin.grpc.pb.h"
#include "google/protobuf/util/time_util.h"

namespace convlat::client {
namespace {

bool RequirePlatform(const CommandContext& context, const std::string& platform, const char* how) {
  if (!platform.empty()) return true;
  *context.err << "error: " << how << " is required\n";
  return false;
}

// Prints what the call changed or would change; a dry run ends with how to confirm it.
int Report(const CommandContext& context, const v1::AdminChange& change, const std::string& what,
           const std::string& confirm) {
  if (context.format == OutputFormat::kJson) {
    if (int code = PrintJson(context, change); code != kExitOk) return code;
  } else {
    TextTable table({"platform", "dry_run", "retired", "purged", "platform_removed", "platform_purged", "current"});
    table.AddRow({change.platform(), change.dry_run() ? "yes" : "no", absl::StrCat(change.retired()),
                  absl::StrCat(change.purged()), change.platform_removed() ? "yes" : "no",
                  change.platform_purged() ? "yes" : "no", absl::StrCat(change.current())});
    PrintTable(context, table);
  }
  if (!change.dry_run()) return kExitOk;
  *context.err << "nothing changed: this is what " << what << " would do; run again with --yes (" << confirm
               << ") to do it\n";
  return kExitNotConfirmed;
}

}  // namespace

int RetireCommand(const CommandContext& context, const std::string& platform, const std::string& before, bool yes) {
  if (!RequirePlatform(context, platform, "--platform")) return kExitUsage;
  absl::Time time;
  std::string error;
  if (before.empty() || !absl::ParseTime(absl::RFC3339_full, before, &time, &error)) {
    *context.err << "error: --before must be an RFC 3339 time such as 2026-11-30T12:00:00Z"
                 << (before.empty() ? "" : absl::StrCat(", got '", before, "' (", error, ")")) << "\n";
    return kExitUsage;
  }
  v1::RetireMeasurementsRequest request;
  request.set_platform(platform);
  *request.mutable_before() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
  request.set_dry_run(!yes);
  v1::AdminChange change;
  grpc::Status status =
      v1::AdminService::NewStub(context.channel)->RetireMeasurements(NewCallContext(context).get(), request, &change);
  if (!status.ok()) return ReportRpcError(context, status);
  return Report(context, change, absl::StrCat("retiring the measurements of '", platform, "' before ", before),
                "retired measurements stay in the store until purged");
}

int RemovePlatformCommand(const CommandContext& context, const std::string& platform, bool yes) {
  if (!RequirePlatform(context, platform, "the platform (remove-platform NAME)")) return kExitUsage;
  v1::RemovePlatformRequest request;
  request.set_platform(platform);
  request.set_dry_run(!yes);
  v1::AdminChange change;
  grpc::Status status =
      v1::AdminService::NewStub(context.channel)->RemovePlatform(NewCallContext(context).get(), request, &change);
  if (!status.ok()) return ReportRpcError(context, status);
  return Report(context, change, absl::StrCat("removing platform '", platform, "'"),
                "its measurements stay in the store, retired, until purged");
}

int PurgeCommand(const CommandContext& context, const std::string& platform, bool yes) {
  if (!RequirePlatform(context, platform, "--platform")) return kExitUsage;
  v1::PurgeRetiredRequest request;
  request.set_platform(platform);
  request.set_dry_run(!yes);
  v1::AdminChange change;
  grpc::Status status =
      v1::AdminService::NewStub(context.channel)->PurgeRetired(NewCallContext(context).get(), request, &change);
  if (!status.ok()) return ReportRpcError(context, status);
  return Report(context, change, absl::StrCat("purging the retired and superseded measurements of '", platform, "'"),
                "purged measurements are deleted for good");
}

}  // namespace convlat::client
