#pragma once
// AdminService: retire, remove, purge. Each handler times the call, checks the agent token (the
// same one the agents' writes need) and hands the request to its core function (platform_admin.h).

#include "convlat/v1/admin.grpc.pb.h"
#include "server/agent_auth.h"
#include "server/platform_admin.h"

namespace convlat::server {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  AdminServiceImpl(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics, AgentAuth auth)
      : core_{store, models, metrics}, auth_(std::move(auth)) {}

  grpc::Status RetireMeasurements(grpc::ServerContext* context, const v1::RetireMeasurementsRequest* request,
                                  v1::AdminChange* response) override;
  grpc::Status RemovePlatform(grpc::ServerContext* context, const v1::RemovePlatformRequest* request,
                              v1::AdminChange* response) override;
  grpc::Status PurgeRetired(grpc::ServerContext* context, const v1::PurgeRetiredRequest* request,
                            v1::AdminChange* response) override;

 private:
  const AdminCore core_;
  const AgentAuth auth_;
};

}  // namespace convlat::server
