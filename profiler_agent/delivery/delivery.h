#pragma once
// Delivery at the end of a run, an import or a flush: pushes the spool within a time limit and
// says plainly what stayed behind, why, and what to do about it.

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "profiler_agent/delivery/agent_metrics.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"

namespace convlat::agent {

struct DeliveryOptions {
  std::string server;  // host:port the pusher's channel talks to; named in the log and its advice
  std::chrono::milliseconds push_timeout{30000};  // how long to keep retrying an unreachable server
  std::string metrics_file;                       // where the run's Prometheus text file goes; empty: none
  std::string platform;                           // the metrics' platform label when `report` names none (flush)
};

// Pushes the spool until everything is acknowledged or `push_timeout` has passed (a refused token
// ends it at once), logs what was delivered and what stays in the spool, and writes the metrics
// file with `report` (what the run measured) completed by delivery and spool depth.
// OK when the server has every batch and refused none. Otherwise the push's code (UNAUTHENTICATED
// for a refused token, UNAVAILABLE for an unreachable server, ...) or INVALID_ARGUMENT for
// rejected batches, with the message that was logged.
absl::Status Deliver(Pusher& pusher, const Spool& spool, const DeliveryOptions& options, AgentRunReport report = {});

}  // namespace convlat::agent
