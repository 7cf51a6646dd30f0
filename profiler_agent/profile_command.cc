#include "profiler_agent/profile_command.h"

#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "model/sweeps/sweeps.h"
#include "profiler_agent/delivery/call_failure.h"
#include "profiler_agent/machine_busy_warning.h"
#include "profiler_agent/noise/noise_tally.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {

int RunProfile(Spool& spool, Pusher& pusher, const std::shared_ptr<grpc::Channel>& channel,
               const ProfileOptions& options, const std::atomic<bool>& stop) {
  const SweepOptions& sweep = options.sweep;
  // A --sweep that does not resolve is a typo: refused before the platform is registered with the
  // server, which would otherwise list a platform with nothing measured.
  absl::StatusOr<model::Sweep> resolved = model::ResolveSweep(sweep.sweep);
  if (!resolved.ok()) {
    spdlog::error("--sweep: {}", std::string(resolved.status().message()));
    return 2;
  }
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeBackend(options.backend, options.backend_options);
  if (!backend.ok()) {
    spdlog::error("{}", std::string(backend.status().message()));
    return 2;
  }
  absl::StatusOr<v1::Platform> platform = (*backend)->DescribePlatform();
  if (!platform.ok()) {
    spdlog::error("cannot describe this device: {}", platform.status().ToString());
    return 1;
  }
  platform->set_name(sweep.platform);
  if (absl::Status s = spool.SavePlatform(*platform); !s.ok()) {
    spdlog::error("{}", s.ToString());
    return 1;
  }
  spdlog::info("platform '{}': {} ({} units, {} {})", platform->name(), platform->device_name(),
               platform->compute_units(), platform->library(), platform->library_version());
  // Registers the platform and delivers anything left from an earlier run before planning.
  if (absl::Status s = pusher.PushOnce(sweep.rpc_timeout); !s.ok()) {
    // Measuring still pays off either way: the spool keeps the results for a later flush.
    spdlog::log(CallFailureLogLevel(s), "{}; measuring anyway, results stay in {}",
                DescribeCallFailure(s, options.delivery.server), spool.dir());
  }
  absl::StatusOr<model::Sweep> configs = PlanConfigs(channel, spool, sweep, *std::move(resolved));
  if (!configs.ok()) {
    spdlog::error("{}", std::string(configs.status().message()));
    return 2;
  }
  WarnIfMachineBusy("the sweep", absl::StrCat("Measurements taken now will be slower and spread out, and many will be "
                                              "re-measured or flagged noisy; ",
                                              kQuietMachineAdvice));
  spdlog::info("measuring {} convolutions and {} other ops with {}", configs->convs.size(), configs->ops.size(),
               (*backend)->name());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<SweepResult> result = RunSweep(**backend, *configs, spool, pusher, sweep, stop);
  if (!result.ok()) {
    spdlog::error("{}", result.status().ToString());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("measured {} configs ({} failed) in {:.1f}s: {:.0f} configs/minute{}", result->measured, result->failed,
               seconds, seconds > 0 ? 60 * result->measured / seconds : 0,
               result->interrupted ? " (interrupted; the next run resumes)" : "");
  spdlog::info("{}", NoiseSummary(result->noise));
  for (const std::string& warning : NoiseWarnings(result->noise)) std::cerr << warning << "\n";
  const absl::Status delivered = Deliver(pusher, spool, options.delivery,
                                         {.platform = sweep.platform,
                                          .backend = (*backend)->name(),
                                          .configs_profiled = result->measured,
                                          .config_failures = result->failed,
                                          .configs_remeasured = result->noise.remeasured,
                                          .configs_noisy = result->noise.noisy,
                                          .configs_slowed = result->noise.slowed,
                                          .profiling_seconds = seconds});
  if (result->interrupted) return 130;
  return delivered.ok() ? 0 : 1;
}

}  // namespace convlat::agent
