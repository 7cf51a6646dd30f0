#include "server/admin_service.h"

#include "common/status_bridge.h"

namespace convlat::server {

grpc::Status AdminServiceImpl::RetireMeasurements(grpc::ServerContext* context,
                                                  const v1::RetireMeasurementsRequest* request,
                                                  v1::AdminChange* response) {
  RequestTimer timer(core_.metrics, "RetireMeasurements");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  return timer.Finish(ToGrpcStatus(server::RetireMeasurements(core_, *request, *response)));
}

grpc::Status AdminServiceImpl::RemovePlatform(grpc::ServerContext* context, const v1::RemovePlatformRequest* request,
                                              v1::AdminChange* response) {
  RequestTimer timer(core_.metrics, "RemovePlatform");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  return timer.Finish(ToGrpcStatus(server::RemovePlatform(core_, *request, *response)));
}

grpc::Status AdminServiceImpl::PurgeRetired(grpc::ServerContext* context, const v1::PurgeRetiredRequest* request,
                                            v1::AdminChange* response) {
  RequestTimer timer(core_.metrics, "PurgeRetired");
  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  return timer.Finish(ToGrpcStatus(server::PurgeRetired(core_, *request, *response)));
}

}  // namespace convlat::server
