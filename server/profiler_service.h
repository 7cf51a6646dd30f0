#pragma once
// ProfilerService: the agents' side of the API. Each handler times the call, checks the agent's
// token, and hands the request to its core function (platform_registration.h, sweep_planning.h,
// measurement_ingest.h), which never sees gRPC.

#include "convlat/v1/profiler.grpc.pb.h"
#include "server/agent_auth.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

class ProfilerServiceImpl final : public v1::ProfilerService::Service {
 public:
  ProfilerServiceImpl(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics, AgentAuth auth)
      : store_(store), models_(models), metrics_(metrics), auth_(std::move(auth)) {}

  grpc::Status RegisterPlatform(grpc::ServerContext* context, const v1::RegisterPlatformRequest* request,
                                v1::RegisterPlatformResponse* response) override;
  grpc::Status GetSweepPlan(grpc::ServerContext* context, const v1::GetSweepPlanRequest* request,
                            v1::SweepPlan* response) override;
  grpc::Status PushMeasurements(grpc::ServerContext* context,
                                grpc::ServerReaderWriter<v1::PushAck, v1::MeasurementBatch>* stream) override;

 private:
  MeasurementStore& store_;
  ModelRegistry& models_;
  ServerMetrics& metrics_;
  const AgentAuth auth_;
};

}  // namespace convlat::server
