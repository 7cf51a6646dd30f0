#pragma once
// ProfilerService: the agents' side of the API.

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
  grpc::Status PushMeasurements(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::PushAck, v1::MeasurementBatch>* stream) override;

 private:
  // Validates and stores one batch; the ack carries the outcome. Never throws away stored data.
  v1::PushAck StoreBatch(const v1::MeasurementBatch& batch);

  MeasurementStore& store_;
  ModelRegistry& models_;
  ServerMetrics& metrics_;
  const AgentAuth auth_;
};

}  // namespace convlat::server
