#pragma once
// Agents that write to the server (register platforms, push measurements, ask for sweep plans)
// prove who they are with a shared token: gRPC metadata "authorization: Bearer <token>". Queries
// (LatencyService) stay open: they change nothing.

#include <string>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"

namespace convlat::server {

class AgentAuth {
 public:
  // An empty token turns the check off (a server on loopback, the default).
  explicit AgentAuth(std::string token) : expected_(token.empty() ? "" : "Bearer " + token) {}

  bool enabled() const { return !expected_.empty(); }
  // UNAUTHENTICATED, saying what is expected, when the call does not carry the token. The
  // comparison takes the same time wherever the first difference is.
  absl::Status Check(const grpc::ServerContext& context) const;

 private:
  std::string expected_;
};

}  // namespace convlat::server
