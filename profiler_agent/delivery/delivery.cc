#include "profiler_agent/delivery/delivery.h"

#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "profiler_agent/delivery/call_failure.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

// Why batches stayed in the spool and how to send them once the cause is gone.
std::string UndeliveredMessage(const absl::Status& push, size_t batches_left, const Spool& spool,
                               const std::string& server) {
  const std::string why = push.ok() ? "not everything was delivered" : DescribeCallFailure(push, server);
  const std::string flush = absl::StrFormat("convlat-agent flush --server %s --spool %s", server, spool.dir());
  const std::string next = IsTokenRefused(push)
                               ? absl::StrFormat("once the token is right, run `%s --token_file FILE`", flush)
                               : absl::StrFormat("run `%s` when the server is back", flush);
  return absl::StrFormat("%s; %d %s in spool %s; %s", why, batches_left,
                         batches_left == 1 ? "batch stays" : "batches stay", spool.dir(), next);
}

}  // namespace

absl::Status Deliver(Pusher& pusher, const Spool& spool, const DeliveryOptions& options, AgentRunReport report) {
  const absl::Status push = pusher.PushUntil(std::chrono::steady_clock::now() + options.push_timeout);
  const PushTotals& totals = pusher.totals();
  spdlog::info("delivered {} batches ({} measurements stored, {} duplicate batches, {} rejected)", totals.acked_batches,
               totals.stored, totals.duplicate_batches, totals.rejected_batches);
  const absl::StatusOr<std::vector<std::string>> left = spool.Pending();
  if (!options.metrics_file.empty()) {
    if (report.platform.empty()) report.platform = options.platform;
    report.delivered = totals;
    report.spool_batches = left.ok() ? static_cast<int>(left->size()) : -1;
    report.finished_unix_seconds = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
    if (absl::Status s = WriteAgentMetrics(options.metrics_file, report); !s.ok()) spdlog::error("{}", s.ToString());
  }
  if (!left.ok()) {
    spdlog::error("{}", left.status().ToString());
    return left.status();
  }
  if (!push.ok() || !left->empty()) {
    const std::string message = UndeliveredMessage(push, left->size(), spool, options.server);
    spdlog::error("{}", message);
    return absl::Status(push.ok() ? absl::StatusCode::kUnavailable : push.code(), message);
  }
  if (totals.rejected_batches > 0) {
    const std::string message =
        absl::StrFormat("the server refused %d batches (invalid, or their id taken); they are in %s/rejected",
                        totals.rejected_batches, spool.dir());
    spdlog::error("{}", message);
    return absl::InvalidArgumentError(message);
  }
  return absl::OkStatus();
}

}  // namespace convlat::agent
