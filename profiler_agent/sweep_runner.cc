#include "profiler_agent/sweep_runner.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "model/conv_shape.h"
#include "model/conv_spec.h"
#include "model/measurements_csv.h"
#include "model/sweeps.h"
#include "profiler_agent/progress.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

std::string Key(v1::ConvParams params) {
  model::NormalizeConvParams(params);
  return params.SerializeAsString();
}

absl::StatusOr<v1::SweepPlan> AskServer(const std::shared_ptr<grpc::Channel>& channel, const SweepOptions& options,
                                        const std::vector<v1::ConvParams>& sweep) {
  v1::GetSweepPlanRequest request;
  request.set_platform(options.platform);
  for (const v1::ConvParams& config : sweep) *request.add_candidates() = config;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options.rpc_timeout);
  v1::SweepPlan plan;
  grpc::Status status = v1::ProfilerService::NewStub(channel)->GetSweepPlan(&context, request, &plan);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return plan;
}

absl::Status SpoolBatch(Spool& spool, const SweepOptions& options, std::vector<v1::Measurement>& measurements) {
  if (measurements.empty()) return absl::OkStatus();
  v1::MeasurementBatch batch;
  batch.set_batch_id(spool.NewBatchId(options.agent_id));
  batch.set_platform(options.platform);
  for (v1::Measurement& m : measurements) *batch.add_measurements() = std::move(m);
  measurements.clear();
  return spool.Add(batch).status();
}

}  // namespace

absl::StatusOr<std::vector<v1::ConvParams>> PlanConfigs(const std::shared_ptr<grpc::Channel>& channel,
                                                        const Spool& spool, const SweepOptions& options) {
  absl::StatusOr<std::vector<v1::ConvParams>> sweep = model::ResolveSweep(options.sweep);
  if (!sweep.ok()) return sweep.status();
  std::vector<v1::ConvParams> configs = *sweep;
  absl::StatusOr<v1::SweepPlan> plan = AskServer(channel, options, *sweep);
  if (plan.ok()) {
    if (plan->already_measured() > 0) {
      spdlog::info("the server has {} configs of sweep '{}' for '{}' already; measuring the other {}",
                   plan->already_measured(), options.sweep, options.platform, plan->configs_size());
    }
    configs.assign(plan->configs().begin(), plan->configs().end());
  } else {
    spdlog::warn("no sweep plan from the server ({}); measuring the whole sweep", std::string(plan.status().message()));
  }

  absl::flat_hash_set<std::string> spooled;
  absl::StatusOr<std::vector<std::string>> pending = spool.Pending();
  if (!pending.ok()) return pending.status();
  for (const std::string& path : *pending) {
    absl::StatusOr<v1::MeasurementBatch> batch = spool.Read(path);
    if (!batch.ok() || batch->platform() != options.platform) continue;
    for (const v1::Measurement& m : batch->measurements()) spooled.insert(Key(m.params()));
  }
  std::vector<v1::ConvParams> selected;
  for (const v1::ConvParams& config : configs) {
    if (spooled.contains(Key(config))) continue;
    if (options.max_configs > 0 && static_cast<int>(selected.size()) >= options.max_configs) break;
    selected.push_back(config);
  }
  return selected;
}

absl::StatusOr<SweepResult> RunSweep(ConvBackend& backend, const std::vector<v1::ConvParams>& configs, Spool& spool,
                                     Pusher& pusher, const SweepOptions& options, const std::atomic<bool>& stop) {
  SweepResult result;
  std::ofstream csv;
  if (!options.csv_out.empty()) {
    const bool fresh = !std::filesystem::exists(options.csv_out) || std::filesystem::file_size(options.csv_out) == 0;
    csv.open(options.csv_out, std::ios::app);
    if (!csv) return absl::FailedPreconditionError(absl::StrCat("--csv_out: cannot open ", options.csv_out));
    if (fresh) csv << model::MeasurementsCsvHeader();
  }
  ProgressBar progress(static_cast<int>(configs.size()), std::cerr, isatty(STDERR_FILENO) != 0);
  std::vector<v1::Measurement> pending;
  for (const v1::ConvParams& config : configs) {
    if (stop) {
      result.interrupted = true;
      break;
    }
    // One config may give several measurements (one per algorithm with --algo all); it counts as
    // failed only when none of them succeeded.
    bool any_succeeded = false;
    for (v1::Measurement& m : backend.Measure(config, options.timing)) {
      m.set_agent_id(options.agent_id);
      if (m.failed()) {
        spdlog::debug("{} failed{}: {}", model::FormatConvSpec(config),
                      m.algorithm().empty() ? "" : " with " + m.algorithm(), m.failure_reason());
      } else {
        any_succeeded = true;
        if (csv.is_open()) csv << model::MeasurementCsvRow(m) << std::flush;
      }
      pending.push_back(std::move(m));
    }
    if (!any_succeeded) ++result.failed;
    ++result.measured;
    progress.Advance(model::FormatConvSpec(config));
    if (static_cast<int>(pending.size()) >= options.batch_size) {
      if (absl::Status s = SpoolBatch(spool, options, pending); !s.ok()) return s;
      // One quick try: a server that is away must not slow the sweep down.
      pusher.PushOnce(options.rpc_timeout).IgnoreError();
    }
  }
  progress.Finish();
  if (csv.is_open() && !csv) spdlog::error("--csv_out: writing {} failed; the spool still has every measurement", options.csv_out);
  if (absl::Status s = SpoolBatch(spool, options, pending); !s.ok()) return s;
  return result;
}

}  // namespace convlat::agent
