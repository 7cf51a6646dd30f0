#include "server/profiler_service.h"

#include "absl/strings/str_cat.h"
#include "model/sweeps/sweep_planner.h"
#include "common/status_bridge.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace convlat::server {

grpc::Status ProfilerServiceImpl::RegisterPlatform(grpc::ServerContext* context,
                                                   const v1::RegisterPlatformRequest* request,
                                                   v1::RegisterPlatformResponse* response) {
  RequestTimer timer(metrics_, "RegisterPlatform");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  if (absl::Status s = ValidatePlatform(request->platform()); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  // Fields the request leaves unset keep their stored values (proto3 MergeFrom copies only set
  // scalars), so `convlat-agent import` can name a platform without erasing its description.
  v1::Platform merged;
  absl::StatusOr<v1::Platform> existing = store_.GetPlatform(request->platform().name());
  if (existing.ok()) {
    merged = *std::move(existing);
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return timer.Finish(ToGrpcStatus(existing.status()));
  }
  merged.MergeFrom(request->platform());
  absl::StatusOr<UpsertPlatformResult> result = store_.UpsertPlatform(merged);
  if (!result.ok()) return timer.Finish(ToGrpcStatus(result.status()));
  *response->mutable_platform() = result->platform;
  response->set_created(result->created);
  spdlog::info("platform '{}' {} by agent '{}' ({})", merged.name(), result->created ? "registered" : "updated",
               request->agent_id(), merged.device_name());
  return timer.Finish(grpc::Status::OK);
}

grpc::Status ProfilerServiceImpl::GetSweepPlan(grpc::ServerContext* context, const v1::GetSweepPlanRequest* request,
                                               v1::SweepPlan* response) {
  RequestTimer timer(metrics_, "GetSweepPlan");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  if (absl::Status s = ValidatePlatformName(request->platform(), "platform"); !s.ok()) {
    return timer.Finish(ToGrpcStatus(s));
  }
  if (request->max_configs() < 0) {
    return timer.Finish(grpc::Status(grpc::INVALID_ARGUMENT, "max_configs must be >= 0"));
  }
  if (!v1::SweepOrder_IsValid(request->order())) {
    return timer.Finish(grpc::Status(grpc::INVALID_ARGUMENT, "order: unknown sweep order"));
  }
  absl::StatusOr<v1::Platform> platform = store_.GetPlatform(request->platform());
  if (!platform.ok()) return timer.Finish(ToGrpcStatus(platform.status()));
  const model::PlanOptions options{.max_configs = request->max_configs(), .order = request->order(),
                                   .hardware = model::HardwareOf(*platform)};
  absl::StatusOr<std::vector<v1::Measurement>> measured = store_.LoadMeasurements(request->platform());
  if (!measured.ok()) return timer.Finish(ToGrpcStatus(measured.status()));
  if (request->candidates_size() > 0 || request->op_candidates_size() > 0) {
    if (request->candidates_size() > 0) {
      if (absl::Status s = ValidateLayers(request->candidates(), "candidates"); !s.ok()) {
        return timer.Finish(ToGrpcStatus(s));
      }
    }
    if (absl::Status s = ValidateOps(request->op_candidates(), "op_candidates"); !s.ok()) {
      return timer.Finish(ToGrpcStatus(s));
    }
    const std::vector<v1::ConvParams> candidates(request->candidates().begin(), request->candidates().end());
    *response = model::PlanFromCandidates(candidates, *measured, options);
    const std::vector<v1::OpParams> op_candidates(request->op_candidates().begin(), request->op_candidates().end());
    for (v1::OpParams& op : model::PlanOps(op_candidates, *measured, request->max_configs())) {
      *response->add_ops() = std::move(op);
    }
    return timer.Finish(grpc::Status::OK);
  }
  absl::StatusOr<v1::SweepPlan> plan = model::PlanSweep(request->sweep(), *measured, options);
  if (!plan.ok()) {
    // An unknown sweep name is the caller's mistake, not a missing resource.
    return timer.Finish(grpc::Status(grpc::INVALID_ARGUMENT, absl::StrCat("sweep: ", plan.status().message())));
  }
  *response = *std::move(plan);
  return timer.Finish(grpc::Status::OK);
}

v1::PushAck ProfilerServiceImpl::StoreBatch(const v1::MeasurementBatch& batch) {
  v1::PushAck ack;
  ack.set_batch_id(batch.batch_id());
  absl::Status status = ValidateBatch(batch);
  if (status.ok()) {
    absl::StatusOr<InsertBatchResult> result = store_.InsertBatch(batch);
    if (result.ok()) {
      ack.set_stored(result->stored);
      ack.set_duplicate(result->duplicate);
      if (result->stored > 0) {
        metrics_.AddIngested(batch.platform(), result->stored);
        models_.RequestRefit(batch.platform());
      }
    }
    status = result.status();
  }
  if (!status.ok()) {
    spdlog::warn("batch '{}' for platform '{}' not stored: {}", batch.batch_id(), batch.platform(),
                 status.ToString());
    ack.set_code(static_cast<int>(status.code()));
    ack.set_error(std::string(status.message()));
  }
  return ack;
}

grpc::Status ProfilerServiceImpl::PushMeasurements(
    grpc::ServerContext* context, grpc::ServerReaderWriter<v1::PushAck, v1::MeasurementBatch>* stream) {
  RequestTimer timer(metrics_, "PushMeasurements");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  v1::MeasurementBatch batch;
  while (stream->Read(&batch)) {
    // Per-batch problems travel in the ack so one bad batch does not end the stream; a failed
    // write means the agent is gone, and it will resend whatever it has no ack for.
    if (!stream->Write(StoreBatch(batch))) {
      return timer.Finish(grpc::Status(grpc::CANCELLED, "the agent closed the stream"));
    }
  }
  return timer.Finish(grpc::Status::OK);
}

}  // namespace convlat::server
