#pragma once
// LatencyService: predictions for NAS controllers, tools and the CLI. Each handler times the call
// and hands the request to its core function (network_query.h, layer_query.h, platform_query.h),
// which never sees gRPC; status_bridge.h turns the answer into the wire status.

#include "convlat/v1/latency.grpc.pb.h"
#include "server/measurement_store.h"
#include "server/model_lookup.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

class LatencyServiceImpl final : public v1::LatencyService::Service {
 public:
  LatencyServiceImpl(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics)
      : core_{.models = models, .store = store, .metrics = metrics} {}

  grpc::Status Predict(grpc::ServerContext* context, const v1::PredictRequest* request,
                       v1::PredictResponse* response) override;
  grpc::Status PredictNetwork(grpc::ServerContext* context, const v1::PredictNetworkRequest* request,
                              v1::PredictNetworkResponse* response) override;
  grpc::Status PredictNetworks(grpc::ServerContext* context, const v1::PredictNetworksRequest* request,
                               v1::PredictNetworksResponse* response) override;
  grpc::Status ListPlatforms(grpc::ServerContext* context, const v1::ListPlatformsRequest* request,
                             v1::ListPlatformsResponse* response) override;
  grpc::Status GetPlatformModel(grpc::ServerContext* context, const v1::GetPlatformModelRequest* request,
                                v1::PlatformModel* response) override;

 private:
  const QueryCore core_;
};

}  // namespace convlat::server
