#pragma once
// How busy this machine's CPUs are before a sweep starts: the share of all cores' time that was
// not idle over a short window, from /proc/stat (Linux). Another process that keeps a core busy
// disturbs CPU timings (oneDNN uses every core) and, less, the host side of GPU ones.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convlat::agent {

// Above this share of all cores' time busy before the sweep, the agent warns: on the project's
// 2-core VM one busy loop beside the agent is 50 %, an idle machine under 5 %.
inline constexpr double kMaxIdleBusyShare = 0.20;

// Cumulative CPU time of all cores, in the kernel's ticks.
struct CpuTicks {
  uint64_t busy = 0;   // user, nice, system, irq, softirq, steal (guest time is inside user)
  uint64_t total = 0;  // busy plus idle and iowait
};

// The aggregate "cpu " line of /proc/stat's text; INVALID_ARGUMENT when there is none.
absl::StatusOr<CpuTicks> ParseProcStat(absl::string_view proc_stat);

// The busy share of the time between two readings, 0 when no time passed.
double BusyShare(const CpuTicks& before, const CpuTicks& after);

// Reads /proc/stat, waits `window`, reads it again. UNAVAILABLE where there is no /proc/stat.
absl::StatusOr<double> SampleBusyShare(absl::Duration window);

// The warning for a machine this busy before `before_what` ("the sweep"), naming the share, the
// cores and the window, then `consequence` (what the load does to that work, and what to do);
// none at or below `max_busy_share`.
std::optional<std::string> MachineLoadWarning(double busy_share, int cores, absl::Duration window,
                                              absl::string_view before_what, absl::string_view consequence,
                                              double max_busy_share = kMaxIdleBusyShare);

}  // namespace convlat::agent
