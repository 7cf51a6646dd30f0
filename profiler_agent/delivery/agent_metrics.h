#pragma once
// What an agent run did, as a Prometheus text file for node_exporter's textfile collector: an
// agent is a batch job, not a server, so it leaves its numbers where the node's exporter (or a
// person) finds them instead of serving them.

#include <string>

#include "absl/status/status.h"
#include "profiler_agent/delivery/pusher.h"

namespace convlat::agent {

struct AgentRunReport {
  std::string platform;
  std::string backend;  // empty for flush and import
  int configs_profiled = 0;
  int config_failures = 0;
  int configs_remeasured = 0;  // whose spread was too wide at the first attempt
  int configs_noisy = 0;       // stored flagged noisy: still too wide after re-measuring
  int configs_slowed = 0;      // slowed through their whole timing, found by the second look
  double profiling_seconds = 0;
  PushTotals delivered;
  int spool_batches = 0;  // still waiting for the server when the run ended
  double finished_unix_seconds = 0;
};

// The report in Prometheus text format (gauges of the last run, labelled by platform and backend).
std::string FormatAgentMetrics(const AgentRunReport& report);
// Writes it to `path` atomically (temporary file, rename), as the textfile collector requires.
absl::Status WriteAgentMetrics(const std::string& path, const AgentRunReport& report);

}  // namespace convlat::agent
