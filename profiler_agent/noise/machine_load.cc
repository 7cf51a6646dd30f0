#include "profiler_agent/noise/machine_load.h"

#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace convlat::agent {
namespace {

absl::StatusOr<std::string> ReadProcStat() {
  std::ifstream in("/proc/stat");
  if (!in) return absl::UnavailableError("cannot read /proc/stat");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<CpuTicks> ParseProcStat(absl::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    if (!absl::ConsumePrefix(&line, "cpu ")) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    std::vector<uint64_t> fields;
    for (absl::string_view field : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      uint64_t value = 0;
      if (!absl::SimpleAtoi(field, &value)) return absl::InvalidArgumentError("/proc/stat: bad 'cpu' line");
      fields.push_back(value);
    }
    if (fields.size() < 4) return absl::InvalidArgumentError("/proc/stat: 'cpu' line too short");
    fields.resize(8, 0);  // kernels before 2.6.11 end at softirq or earlier
    CpuTicks ticks;
    ticks.busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
    ticks.total = ticks.busy + fields[3] + fields[4];
    return ticks;
  }
  return absl::InvalidArgumentError("/proc/stat has no aggregate 'cpu' line");
}

double BusyShare(const CpuTicks& before, const CpuTicks& after) {
  if (after.total <= before.total) return 0;
  return static_cast<double>(after.busy - before.busy) / static_cast<double>(after.total - before.total);
}

absl::StatusOr<double> SampleBusyShare(absl::Duration window) {
  absl::StatusOr<std::string> first = ReadProcStat();
  if (!first.ok()) return first.status();
  absl::StatusOr<CpuTicks> before = ParseProcStat(*first);
  if (!before.ok()) return before.status();
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(window));
  absl::StatusOr<std::string> second = ReadProcStat();
  if (!second.ok()) return second.status();
  absl::StatusOr<CpuTicks> after = ParseProcStat(*second);
  if (!after.ok()) return after.status();
  return BusyShare(*before, *after);
}

std::optional<std::string> MachineLoadWarning(double busy_share, int cores, absl::Duration window,
                                              absl::string_view before_what, absl::string_view consequence,
                                              double max_busy_share) {
  if (busy_share <= max_busy_share) return std::nullopt;
  return absl::StrFormat(
      "WARNING: this machine is busy before %s: %.0f%% of its %d cores' time was in use over the last %s "
      "(about %.1f cores' worth; above %.0f%% timings are disturbed). %s.",
      before_what, 100 * busy_share, cores, absl::FormatDuration(window), busy_share * cores, 100 * max_busy_share,
      consequence);
}

}  // namespace convlat::agent
