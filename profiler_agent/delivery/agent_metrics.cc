#include "profiler_agent/delivery/agent_metrics.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace convlat::agent {
namespace {

// Label values escape backslash, quote and newline (Prometheus text format).
std::string LabelValue(const std::string& value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

}  // namespace

std::string FormatAgentMetrics(const AgentRunReport& r) {
  const std::string labels =
      absl::StrFormat("{platform=\"%s\",backend=\"%s\"}", LabelValue(r.platform), LabelValue(r.backend));
  std::string text;
  auto gauge = [&](const char* name, const char* help, double value) {
    absl::StrAppendFormat(&text, "# HELP %s %s\n# TYPE %s gauge\n%s%s %.17g\n", name, help, name, name, labels, value);
  };
  gauge("convlat_agent_last_run_configs_profiled", "Configurations measured in the agent's last run",
        r.configs_profiled);
  gauge("convlat_agent_last_run_config_failures", "Configurations of the last run with no successful measurement",
        r.config_failures);
  gauge("convlat_agent_last_run_configs_remeasured",
        "Configurations of the last run measured again because their spread was too wide", r.configs_remeasured);
  gauge("convlat_agent_last_run_configs_noisy",
        "Configurations of the last run whose spread stayed too wide, stored flagged noisy", r.configs_noisy);
  gauge("convlat_agent_last_run_configs_slowed",
        "Configurations of the last run slowed through their whole timing (second look), timed again in full",
        r.configs_slowed);
  gauge("convlat_agent_last_run_profiling_seconds", "Time the last run spent measuring", r.profiling_seconds);
  gauge("convlat_agent_last_run_batches_delivered", "Batches the server acknowledged in the last run",
        r.delivered.acked_batches);
  gauge("convlat_agent_last_run_measurements_stored", "Measurements the server stored in the last run",
        r.delivered.stored);
  gauge("convlat_agent_last_run_batches_rejected",
        "Batches the server refused (invalid, or their id taken) in the last run", r.delivered.rejected_batches);
  gauge("convlat_agent_spool_batches", "Batches waiting in the spool for the server", r.spool_batches);
  gauge("convlat_agent_last_run_finished_timestamp_seconds", "When the last run ended (unix time)",
        r.finished_unix_seconds);
  return text;
}

absl::Status WriteAgentMetrics(const std::string& path, const AgentRunReport& report) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << FormatAgentMetrics(report);
    if (!out) return absl::UnavailableError(absl::StrCat("--metrics_file: cannot write ", temporary));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("--metrics_file: cannot rename ", temporary, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace convlat::agent
