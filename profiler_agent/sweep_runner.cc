#include "profiler_agent/sweep_runner.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_bridge.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "model/datasets/measurements_csv.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/sweeps/sweeps.h"
#include "profiler_agent/delivery/call_failure.h"
#include "profiler_agent/progress.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

// One key space for convolutions and ops: a measurement is of one or the other.
std::string Key(const v1::Measurement& m) {
  if (m.has_op()) {
    v1::OpParams op = m.op();
    model::NormalizeOpParams(op);
    return "op:" + op.SerializeAsString();
  }
  v1::ConvParams params = m.params();
  model::NormalizeConvParams(params);
  return "conv:" + params.SerializeAsString();
}
std::string Key(const v1::ConvParams& params) {
  v1::Measurement m;
  *m.mutable_params() = params;
  return Key(m);
}
std::string Key(const v1::OpParams& op) {
  v1::Measurement m;
  *m.mutable_op() = op;
  return Key(m);
}

absl::StatusOr<v1::SweepPlan> AskServer(const std::shared_ptr<grpc::Channel>& channel, const SweepOptions& options,
                                        const model::Sweep& sweep) {
  v1::GetSweepPlanRequest request;
  request.set_platform(options.platform);
  request.set_remeasure(options.remeasure);
  for (const v1::ConvParams& config : sweep.convs) *request.add_candidates() = config;
  for (const v1::OpParams& op : sweep.ops) *request.add_op_candidates() = op;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options.rpc_timeout);
  v1::SweepPlan plan;
  grpc::Status status = v1::ProfilerService::NewStub(channel)->GetSweepPlan(&context, request, &plan);
  if (!status.ok()) return FromGrpcStatus(status, "GetSweepPlan");
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

absl::StatusOr<model::Sweep> PlanConfigs(const std::shared_ptr<grpc::Channel>& channel, const Spool& spool,
                                         const SweepOptions& options, model::Sweep sweep) {
  if (options.layout != v1::LAYOUT_UNSPECIFIED || options.dtype != v1::DATA_TYPE_UNSPECIFIED ||
      options.math_mode.has_value()) {
    // The same configs in another layout, data type or math mode: the sweep may now name a config twice.
    const bool half = options.dtype == v1::DATA_TYPE_FP16 || options.dtype == v1::DATA_TYPE_BF16;
    absl::flat_hash_set<std::string> seen;
    std::vector<v1::ConvParams> convs;
    for (v1::ConvParams& config : sweep.convs) {
      if (options.layout != v1::LAYOUT_UNSPECIFIED) config.set_layout(options.layout);
      if (options.dtype != v1::DATA_TYPE_UNSPECIFIED) config.set_dtype(options.dtype);
      if (options.math_mode) {
        config.set_math_mode(*options.math_mode);
      } else if (half) {
        config.set_math_mode(v1::MATH_MODE_TENSOR_OP);
      }
      if (seen.insert(Key(config)).second) convs.push_back(config);
    }
    sweep.convs = std::move(convs);
    std::vector<v1::OpParams> ops;
    for (v1::OpParams& op : sweep.ops) {
      if (options.layout != v1::LAYOUT_UNSPECIFIED) op.set_layout(options.layout);
      if (options.dtype != v1::DATA_TYPE_UNSPECIFIED) op.set_dtype(options.dtype);
      if (seen.insert(Key(op)).second) ops.push_back(op);
    }
    sweep.ops = std::move(ops);
  }
  model::Sweep planned = sweep;
  absl::StatusOr<v1::SweepPlan> plan = AskServer(channel, options, sweep);
  if (plan.ok()) {
    const size_t planned_count = plan->configs_size() + plan->ops_size();
    const size_t sweep_count = sweep.convs.size() + sweep.ops.size();
    if (options.remeasure && plan->already_measured() > 0) {
      spdlog::info(
          "measuring again {} configs of sweep '{}' that the server has for '{}' (--remeasure): the new "
          "measurements supersede the stored ones",
          plan->already_measured(), options.sweep, options.platform);
    }
    if (planned_count < sweep_count) {
      spdlog::info("the server has {} configs of sweep '{}' for '{}' already; measuring the other {}",
                   sweep_count - planned_count, options.sweep, options.platform, planned_count);
    }
    planned.convs.assign(plan->configs().begin(), plan->configs().end());
    planned.ops.assign(plan->ops().begin(), plan->ops().end());
  } else {
    spdlog::log(CallFailureLogLevel(plan.status()), "no sweep plan: {}; measuring the whole sweep",
                DescribeCallFailure(plan.status(), options.server));
  }

  absl::flat_hash_set<std::string> spooled;
  absl::StatusOr<std::vector<std::string>> pending = spool.Pending();
  if (!pending.ok()) return pending.status();
  for (const std::string& path : *pending) {
    absl::StatusOr<v1::MeasurementBatch> batch = spool.Read(path);
    if (!batch.ok() || batch->platform() != options.platform) continue;
    for (const v1::Measurement& m : batch->measurements()) spooled.insert(Key(m));
  }
  model::Sweep selected;
  auto room = [&] {
    return options.max_configs <= 0 ||
           static_cast<int>(selected.convs.size() + selected.ops.size()) < options.max_configs;
  };
  for (const v1::ConvParams& config : planned.convs) {
    if (room() && !spooled.contains(Key(config))) selected.convs.push_back(config);
  }
  for (const v1::OpParams& op : planned.ops) {
    if (room() && !spooled.contains(Key(op))) selected.ops.push_back(op);
  }
  return selected;
}

absl::StatusOr<SweepResult> RunSweep(ConvBackend& backend, const model::Sweep& sweep, Spool& spool, Pusher& pusher,
                                     const SweepOptions& options, const std::atomic<bool>& stop) {
  SweepResult result;
  std::ofstream csv;
  if (!options.csv_out.empty()) {
    const bool fresh = !std::filesystem::exists(options.csv_out) || std::filesystem::file_size(options.csv_out) == 0;
    if (!fresh) {
      // Rows are appended under the file's header: it must name this version's columns.
      std::ifstream existing(options.csv_out);
      std::string header;
      std::getline(existing, header);
      if (header + "\n" != model::MeasurementsCsvHeader()) {
        return absl::FailedPreconditionError(absl::StrCat("--csv_out: ", options.csv_out,
                                                          " has other columns (written by another convlat version?); "
                                                          "give a new file"));
      }
    }
    csv.open(options.csv_out, std::ios::app);
    if (!csv) return absl::FailedPreconditionError(absl::StrCat("--csv_out: cannot open ", options.csv_out));
    if (fresh) csv << model::MeasurementsCsvHeader();
  }
  ProgressBar progress(static_cast<int>(sweep.convs.size() + sweep.ops.size()), std::cerr, isatty(STDERR_FILENO) != 0);
  // Measured configurations wait here for their second look (noise/second_look.h), a few
  // configurations later, before they are written out and spooled.
  struct Held {
    std::function<std::vector<v1::Measurement>(const TimingOptions&)> measure;
    std::string label;
    std::vector<v1::Measurement> measurements;
  };
  std::vector<Held> held;
  int held_measurements = 0;
  std::vector<v1::Measurement> pending;
  NoiseTally noise;
  auto read_sm_clock = [&] { return backend.SmClockMhz(); };
  // Second looks (unless stopping), then the CSV rows and the spool; a quick push after each batch
  // but the last (the caller delivers what is left).
  auto release_held = [&](bool push) -> absl::Status {
    for (Held& config : held) {
      if (options.second_look.enabled && !stop) {
        const SecondLookVerdict verdict = TakeSecondLook(config.measurements, config.measure, read_sm_clock,
                                                         options.timing, options.noise, options.second_look);
        if (verdict.disagreed) {
          spdlog::debug("{} slowed throughout: {}; {}", config.label, verdict.reason,
                        verdict.replaced ? "the full re-timing was faster, kept" : "the first timing kept");
        }
        noise.AddSecondLook(config.label, verdict);
      }
      for (v1::Measurement& m : config.measurements) {
        m.set_agent_id(options.agent_id);  // a re-timing that replaced the first has none yet
        if (csv.is_open() && !m.failed()) csv << model::MeasurementCsvRow(m) << std::flush;
        pending.push_back(std::move(m));
      }
    }
    held.clear();
    held_measurements = 0;
    if (absl::Status s = SpoolBatch(spool, options, pending); !s.ok()) return s;
    // One quick try: a server that is away must not slow the sweep down.
    if (push) pusher.PushOnce(options.rpc_timeout).IgnoreError();
    return absl::OkStatus();
  };
  // One config may give several measurements (one per algorithm with --algo all); it counts as
  // failed only when none of them succeeded.
  auto record = [&](std::function<std::vector<v1::Measurement>(const TimingOptions&)> measure,
                    const std::string& label) -> absl::Status {
    CheckedConfig checked = MeasureChecked([&] { return measure(options.timing); }, read_sm_clock, options.noise);
    if (checked.remeasurements > 0) {
      spdlog::debug("{} re-measured {} times: {}", label, checked.remeasurements,
                    checked.noisy ? "still noisy, " + checked.reason : "steady");
    }
    if (std::optional<std::string> busy = noise.Add(label, checked)) std::cerr << "\n" << *busy << "\n";
    bool any_succeeded = false;
    for (const v1::Measurement& m : checked.measurements) {
      if (m.failed()) {
        spdlog::debug("{} failed{}: {}", label, m.algorithm().empty() ? "" : " with " + m.algorithm(),
                      m.failure_reason());
      } else {
        any_succeeded = true;
      }
    }
    if (!any_succeeded) ++result.failed;
    ++result.measured;
    progress.Advance(label);
    held_measurements += static_cast<int>(checked.measurements.size());
    held.push_back({std::move(measure), label, std::move(checked.measurements)});
    // A batch is released once the first of its configurations is far enough back for its second look.
    if (held_measurements >= options.batch_size &&
        static_cast<int>(held.size()) >= options.second_look.min_configs_between) {
      return release_held(/*push=*/true);
    }
    return absl::OkStatus();
  };
  for (const v1::ConvParams& config : sweep.convs) {
    if (stop) break;
    auto measure = [&backend, &config](const TimingOptions& timing) { return backend.Measure(config, timing); };
    if (absl::Status s = record(measure, model::FormatConvSpec(config)); !s.ok()) return s;
  }
  for (const v1::OpParams& op : sweep.ops) {
    if (stop) break;
    auto measure = [&backend, &op](const TimingOptions& timing) {
      return std::vector<v1::Measurement>{backend.MeasureOp(op, timing)};
    };
    if (absl::Status s = record(measure, model::FormatOpSpec(op)); !s.ok()) return s;
  }
  if (absl::Status s = release_held(/*push=*/false); !s.ok()) return s;
  result.noise = noise.counts();
  result.interrupted = stop && result.measured < static_cast<int>(sweep.convs.size() + sweep.ops.size());
  progress.Finish();
  if (csv.is_open() && !csv)
    spdlog::error("--csv_out: writing {} failed; the spool still has every measurement", options.csv_out);
  return result;
}

}  // namespace convlat::agent
