#include "profiler_agent/machine_busy_warning.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "profiler_agent/noise/machine_load.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {

void WarnIfMachineBusy(absl::string_view before_what, absl::string_view consequence) {
  constexpr absl::Duration kWindow = absl::Seconds(1);
  absl::StatusOr<double> busy = SampleBusyShare(kWindow);
  if (!busy.ok()) {
    spdlog::debug("no load check before {}: {}", std::string(before_what), std::string(busy.status().message()));
    return;
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  spdlog::info("before {}, {:.0f}% of the {} cores' time was busy", std::string(before_what), 100 * *busy, cores);
  if (std::optional<std::string> warning = MachineLoadWarning(*busy, cores, kWindow, before_what, consequence))
    std::cerr << *warning << "\n";
}

}  // namespace convlat::agent
