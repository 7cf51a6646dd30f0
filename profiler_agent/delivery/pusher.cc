#include "profiler_agent/delivery/pusher.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_bridge.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "profiler_agent/delivery/call_failure.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

void SetDeadline(grpc::ClientContext& context, std::chrono::milliseconds timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

// The server refused the batch itself; resending it cannot succeed: it is invalid, names an unknown
// platform, or reuses the id of another batch the server already holds.
bool IsRejection(int code) {
  return code == static_cast<int>(grpc::INVALID_ARGUMENT) || code == static_cast<int>(grpc::NOT_FOUND) ||
         code == static_cast<int>(grpc::ALREADY_EXISTS);
}

}  // namespace

absl::Status Pusher::RegisterSpooledPlatforms(std::chrono::milliseconds rpc_timeout) {
  absl::StatusOr<std::vector<v1::Platform>> platforms = spool_.Platforms();
  if (!platforms.ok()) return platforms.status();
  auto stub = v1::ProfilerService::NewStub(channel_);
  for (const v1::Platform& platform : *platforms) {
    if (registered_.contains(platform.name())) continue;
    v1::RegisterPlatformRequest request;
    *request.mutable_platform() = platform;
    request.set_agent_id(agent_id_);
    v1::RegisterPlatformResponse response;
    grpc::ClientContext context;
    SetDeadline(context, rpc_timeout);
    grpc::Status status = stub->RegisterPlatform(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status, absl::StrCat("registering platform '", platform.name(), "'"));
    registered_.insert(platform.name());
  }
  return absl::OkStatus();
}

absl::Status Pusher::PushOnce(std::chrono::milliseconds rpc_timeout) {
  if (absl::Status s = RegisterSpooledPlatforms(rpc_timeout); !s.ok()) {
    registered_.clear();
    return s;
  }
  absl::StatusOr<std::vector<std::string>> pending = spool_.Pending();
  if (!pending.ok() || pending->empty()) return pending.status();

  auto stub = v1::ProfilerService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context, rpc_timeout + std::chrono::milliseconds(100) * static_cast<int>(pending->size()));
  auto stream = stub->PushMeasurements(&context);
  absl::Status outcome = absl::OkStatus();
  bool stream_closed = false;
  // Lock-step, one batch then its ack: the spool changes only on what the server confirmed.
  for (const std::string& path : *pending) {
    absl::StatusOr<v1::MeasurementBatch> batch = spool_.Read(path);
    if (!batch.ok()) {
      spdlog::error("{}", batch.status().ToString());
      if (absl::Status s = spool_.Reject(path, std::string(batch.status().message())); !s.ok()) return s;
      ++totals_.rejected_batches;
      continue;
    }
    v1::PushAck ack;
    if (!stream->Write(*batch) || !stream->Read(&ack)) {
      stream_closed = true;  // Finish says why (a refused token, a server gone away, ...)
      break;
    }
    if (ack.batch_id() != batch->batch_id()) {
      outcome = absl::InternalError(
          absl::StrCat("ack for '", ack.batch_id(), "' while waiting for '", batch->batch_id(), "'"));
      break;
    }
    if (ack.code() == 0) {
      if (absl::Status s = spool_.Remove(path); !s.ok()) return s;
      ++totals_.acked_batches;
      totals_.stored += ack.stored();
      totals_.duplicate_batches += ack.duplicate() ? 1 : 0;
    } else if (IsRejection(ack.code())) {
      spdlog::error("server rejected batch {}: {} (kept in {}/rejected)", ack.batch_id(), ack.error(), spool_.dir());
      if (absl::Status s = spool_.Reject(path, ack.error()); !s.ok()) return s;
      ++totals_.rejected_batches;
    } else {
      outcome = absl::Status(static_cast<absl::StatusCode>(ack.code()),
                             absl::StrCat("server could not store batch ", ack.batch_id(), ": ", ack.error()));
      break;
    }
  }
  stream->WritesDone();
  grpc::Status finish = stream->Finish();
  if (outcome.ok() && !finish.ok()) outcome = FromGrpcStatus(finish, "pushing measurements");
  if (outcome.ok() && stream_closed) outcome = absl::UnavailableError("the server closed the measurement stream");
  if (!outcome.ok()) registered_.clear();  // the server may have restarted with another store
  return outcome;
}

absl::Status Pusher::PushUntil(std::chrono::steady_clock::time_point deadline) {
  std::chrono::milliseconds backoff(100);
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    absl::Status status = PushOnce(std::clamp(left, std::chrono::milliseconds(200), std::chrono::milliseconds(30000)));
    if (status.ok()) return status;
    // The server answered, and it will answer the same until someone fixes the token.
    if (IsTokenRefused(status)) return status;
    if (std::chrono::steady_clock::now() + backoff >= deadline) return status;
    spdlog::warn("push failed ({}); retrying in {} ms", status.ToString(), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace convlat::agent
