#pragma once
// The channel an agent talks to the server over: TLS when a CA certificate is given, and the
// agent token in the metadata of every call when one is configured.

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace convlat::agent {

struct AgentChannelOptions {
  std::string server;      // host:port
  std::string token;       // sent as "authorization: Bearer <token>"; empty: none
  std::string tls_ca_pem;  // PEM root certificate(s) to verify the server; empty: plaintext
  int max_message_bytes = 64 << 20;
};

std::shared_ptr<grpc::Channel> MakeAgentChannel(const AgentChannelOptions& options);

}  // namespace convlat::agent
