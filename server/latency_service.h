#pragma once
// LatencyService: predictions for NAS controllers, tools and the CLI.

#include <memory>

#include "convlat/v1/latency.grpc.pb.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

class LatencyServiceImpl final : public v1::LatencyService::Service {
 public:
  LatencyServiceImpl(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics)
      : store_(store), models_(models), metrics_(metrics) {}

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
  // The platform's current model; NOT_FOUND for an unknown platform, FAILED_PRECONDITION (with
  // the reason) for a known one that has no model yet.
  absl::StatusOr<std::shared_ptr<const FittedModel>> ModelFor(const std::string& platform);
  // One network, for PredictNetwork and each of PredictNetworks.
  absl::Status AnswerNetwork(const v1::PredictNetworkRequest& request, v1::PredictNetworkResponse& response);

  MeasurementStore& store_;
  ModelRegistry& models_;
  ServerMetrics& metrics_;
};

}  // namespace convlat::server
