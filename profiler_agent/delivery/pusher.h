#pragma once
// Sends the spool to the server: registers spooled platforms, then streams pending batches,
// one ack per batch. A batch leaves the spool only when the server acknowledged storing it.

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "profiler_agent/delivery/spool.h"

namespace convlat::agent {

struct PushTotals {
  int acked_batches = 0;
  int stored = 0;
  int duplicate_batches = 0;
  int rejected_batches = 0;
};

class Pusher {
 public:
  Pusher(std::shared_ptr<grpc::Channel> channel, Spool& spool, std::string agent_id)
      : channel_(std::move(channel)), spool_(spool), agent_id_(std::move(agent_id)) {}

  // One attempt. UNAVAILABLE (or the server's own error) leaves what was not acked in the spool.
  absl::Status PushOnce(std::chrono::milliseconds rpc_timeout);
  // Retries PushOnce with exponential backoff (100 ms doubling to 5 s) until `deadline`; stops at
  // once when the server refuses the agent's token (UNAUTHENTICATED, PERMISSION_DENIED), which
  // no retry can change.
  absl::Status PushUntil(std::chrono::steady_clock::time_point deadline);

  const PushTotals& totals() const { return totals_; }

 private:
  absl::Status RegisterSpooledPlatforms(std::chrono::milliseconds rpc_timeout);

  std::shared_ptr<grpc::Channel> channel_;
  Spool& spool_;
  std::string agent_id_;
  PushTotals totals_;
  // Platforms registered through this pusher; registration is repeated after any failed push.
  std::set<std::string> registered_;
};

}  // namespace convlat::agent
