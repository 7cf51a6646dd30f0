#include "server/profiler_service.h"

#include "common/status_bridge.h"
#include "server/measurement_ingest.h"
#include "server/platform_registration.h"
#include "server/sweep_planning.h"

namespace convlat::server {

grpc::Status ProfilerServiceImpl::RegisterPlatform(grpc::ServerContext* context,
                                                   const v1::RegisterPlatformRequest* request,
                                                   v1::RegisterPlatformResponse* response) {
  RequestTimer timer(metrics_, "RegisterPlatform");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  const absl::Status status = server::RegisterPlatform(store_, *request, *response);
  // Registered from its spec alone: its transfer model is fitted now, not at the first measurement.
  // A new hot-gain calibration changes network answers: the served snapshot is rebuilt with it.
  if (status.ok() && (request->platform().spec_only() || !request->platform().hot_gain_kept().empty())) {
    models_.RequestRefit(request->platform().name());
  }
  return timer.Finish(ToGrpcStatus(status));
}

grpc::Status ProfilerServiceImpl::GetSweepPlan(grpc::ServerContext* context, const v1::GetSweepPlanRequest* request,
                                               v1::SweepPlan* response) {
  RequestTimer timer(metrics_, "GetSweepPlan");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  return timer.Finish(ToGrpcStatus(PlanSweepFor(store_, *request, *response)));
}

grpc::Status ProfilerServiceImpl::PushMeasurements(
    grpc::ServerContext* context, grpc::ServerReaderWriter<v1::PushAck, v1::MeasurementBatch>* stream) {
  RequestTimer timer(metrics_, "PushMeasurements");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  v1::MeasurementBatch batch;
  while (stream->Read(&batch)) {
    // Per-batch problems travel in the ack so one bad batch does not end the stream; a failed
    // write means the agent is gone, and it will resend whatever it has no ack for.
    if (!stream->Write(StoreBatch(store_, models_, metrics_, batch))) {
      return timer.Finish(grpc::Status(grpc::CANCELLED, "the agent closed the stream"));
    }
  }
  return timer.Finish(grpc::Status::OK);
}

}  // namespace convlat::server
