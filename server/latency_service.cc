#include "server/latency_service.h"

#include "common/status_bridge.h"
#include "server/layer_query.h"
#include "server/network_query.h"
#include "server/platform_query.h"

namespace convlat::server {

grpc::Status LatencyServiceImpl::Predict(grpc::ServerContext*, const v1::PredictRequest* request,
                                         v1::PredictResponse* response) {
  RequestTimer timer(core_.metrics, "Predict");
  return timer.Finish(ToGrpcStatus(PredictLayers(core_, *request, *response)));
}

grpc::Status LatencyServiceImpl::PredictNetwork(grpc::ServerContext*, const v1::PredictNetworkRequest* request,
                                                v1::PredictNetworkResponse* response) {
  RequestTimer timer(core_.metrics, "PredictNetwork");
  return timer.Finish(ToGrpcStatus(AnswerNetwork(core_, *request, /*path=*/"", *response)));
}

grpc::Status LatencyServiceImpl::PredictNetworks(grpc::ServerContext*, const v1::PredictNetworksRequest* request,
                                                 v1::PredictNetworksResponse* response) {
  RequestTimer timer(core_.metrics, "PredictNetworks");
  return timer.Finish(ToGrpcStatus(AnswerNetworks(core_, *request, *response)));
}

grpc::Status LatencyServiceImpl::ListPlatforms(grpc::ServerContext*, const v1::ListPlatformsRequest*,
                                               v1::ListPlatformsResponse* response) {
  RequestTimer timer(core_.metrics, "ListPlatforms");
  return timer.Finish(ToGrpcStatus(ListPlatformSummaries(core_, *response)));
}

grpc::Status LatencyServiceImpl::GetPlatformModel(grpc::ServerContext*, const v1::GetPlatformModelRequest* request,
                                                  v1::PlatformModel* response) {
  RequestTimer timer(core_.metrics, "GetPlatformModel");
  return timer.Finish(ToGrpcStatus(DescribePlatformModel(core_, *request, *response)));
}

}  // namespace convlat::server
