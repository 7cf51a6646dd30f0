#pragma once
// Runs a sweep: decides what to measure, measures it, and hands batches to the spool and server.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "model/sweeps/sweeps.h"
#include "profiler_agent/backend/conv_backend.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"
#include "profiler_agent/noise/checked_measurement.h"
#include "profiler_agent/noise/noise_tally.h"
#include "profiler_agent/noise/second_look.h"

namespace convlat::agent {

struct SweepOptions {
  std::string platform;
  std::string sweep = "quick";  // "quick", "default", "ops" or a sweep file
  std::string agent_id;
  int batch_size = 16;
  int max_configs = 0;  // 0 = all
  TimingOptions timing;
  // The spread check every configuration passes (profiler_agent/noise/checked_measurement.h).
  NoiseCheckOptions noise;
  // The later, brief look at every configuration that catches one slowed through its whole timing.
  SecondLookOptions second_look;
  std::chrono::milliseconds rpc_timeout{5000};
  // The server's host:port, named in the log when it cannot be asked for a plan; empty: unnamed.
  std::string server;
  // Also append every successful measurement to this CSV (docs/measurements-csv.md), a local
  // record of the run to keep or commit; empty: none.
  std::string csv_out;
  // Every conv and op of the sweep in this layout; unspecified: as the sweep says.
  v1::Layout layout = v1::LAYOUT_UNSPECIFIED;
  // Every conv and op of the sweep in this data type, every conv with this math mode; without a math
  // mode, fp16 and bf16 convolutions get tensor-op math (as frameworks run half precision);
  // unspecified: as the sweep says.
  v1::DataType dtype = v1::DATA_TYPE_UNSPECIFIED;
  std::optional<v1::MathMode> math_mode;
  // Measure the configs the server already has for this platform too (--remeasure): the new
  // measurements supersede the stored ones, which the server keeps as history.
  bool remeasure = false;
};

// The configs to measure: those of `sweep` (options.sweep resolved: model::ResolveSweep; convolutions and other ops)
// that the server says this platform still lacks, so an interrupted or repeated run resumes (all of them with
// `remeasure`); with the server away, the whole sweep. Configs already waiting in the spool are left out either way,
// and `max_configs` caps convolutions and ops together.
absl::StatusOr<model::Sweep> PlanConfigs(const std::shared_ptr<grpc::Channel>& channel, const Spool& spool,
                                         const SweepOptions& options, model::Sweep sweep);

struct SweepResult {
  int measured = 0;  // configs measured (a config may give one measurement per algorithm)
  int failed = 0;    // configs of which no measurement succeeded
  bool interrupted = false;
  NoiseCounts noise;  // how many configs were re-measured or stayed noisy
};

// Measures each config (convolutions first, then ops) under the spread check (re-measuring an unsteady one, flagging
// it noisy if it stays so), then, a few configs later, takes its second look (timing it again in full if it was slowed
// throughout); spools every `batch_size` measurements (and at least `second_look.min_configs_between` configs) and
// tries one quick push after each batch (a server that is away only delays delivery). Warns on stderr as soon as
// several configs in a row stay noisy. Stops early when `stop` is set, spooling what was measured without second
// looks.
absl::StatusOr<SweepResult> RunSweep(ConvBackend& backend, const model::Sweep& sweep, Spool& spool, Pusher& pusher,
                                     const SweepOptions& options, const std::atomic<bool>& stop);

}  // namespace convlat::agent
