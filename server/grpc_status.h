#pragma once
// absl::Status ↔ grpc::Status. The canonical codes share their numbers.

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace convlat::server {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace convlat::server
