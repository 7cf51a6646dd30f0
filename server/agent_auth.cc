#include "server/agent_auth.h"

namespace convlat::server {
namespace {

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (b.empty()) return a.empty();
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i % b.size()]);
  return difference == 0;
}

}  // namespace

absl::Status AgentAuth::Check(const grpc::ServerContext& context) const {
  if (!enabled()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "this server needs the agent token: metadata 'authorization: Bearer <token>' "
        "(convlat-agent --token_file)");
  }
  const std::string given(it->second.data(), it->second.size());
  if (!ConstantTimeEquals(given, expected_)) return absl::UnauthenticatedError("the agent token does not match");
  return absl::OkStatus();
}

}  // namespace convlat::server
