#pragma once
// A second, later look at every configuration. A stall that outlasts a configuration's whole
// timing (another tenant or the hypervisor taking the core for a second) slows every run alike:
// the spread stays narrow, CheckSpread passes it, and the timing is stored many times too slow.
// Stop 35 found three such rows on a 2-core VM, timed at about 8 ms in every run and at 0.1–2.6 ms
// when timed again. Timing each configuration once more, briefly and some configurations later,
// shows it; a configuration whose first timing is much slower than the later look is timed again
// in full, and the faster timing is kept (interference only ever adds time).

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "convlat/v1/types.pb.h"
#include "profiler_agent/backend/repetition_rule.h"
#include "profiler_agent/noise/checked_measurement.h"

namespace convlat::agent {

struct SecondLookOptions {
  bool enabled = true;  // --second_look
  // The first timing's median over the second look's, beyond which the first is taken as slowed
  // throughout. A quiet machine stays well under it within a second (docs/measurement-noise.md).
  double max_first_over_second = 1.5;
  // The second look comes after at least this many other configurations were timed, so that a
  // stall of a second or so is over.
  int min_configs_between = 8;
};

// The second look's timing: one warm-up run and a fifth of the time limits of `full`, whose
// repetition counts it keeps.
TimingOptions SecondLookTiming(const TimingOptions& full);

// Why `first` looks slowed throughout next to `second`, a later timing of the same configuration
// and algorithm ("median 7972 us, 82.2x the second look's 97 us"); empty when it does not: its
// median (or, when both were timed hot too, its hot median) is at most `limit` times the second's.
// Failed measurements are never slowed.
std::string SlowedThroughout(const v1::Measurement& first, const v1::Measurement& second, double limit);

// What the second look made of one configuration.
struct SecondLookVerdict {
  bool disagreed = false;  // a kept measurement was slowed next to the second look
  bool replaced = false;   // ... and the full re-timing was faster, so it replaced it
  std::string reason;      // SlowedThroughout's, for the first slowed measurement
  // The largest first / second-look median ratio over the measurements (and their hot timings);
  // 0 when nothing could be compared. Around 1 on a steady machine.
  double first_over_second = 0;
};

// The largest ratio of `first`'s medians (evicted, and hot where both have one) to `second`'s; 0
// when either failed or has no timing.
double FirstOverSecond(const v1::Measurement& first, const v1::Measurement& second);

// Looks again at one configuration whose measurements `kept` (from MeasureChecked) are waiting to
// be spooled: `measure` times it with the timing given, `read_sm_clock` as for MeasureChecked.
// When a kept measurement looks slowed throughout, the configuration is timed again in full under
// the spread check, and each algorithm keeps the faster of its two full timings; the measurement
// kept counts the extra attempts in `remeasurements`.
SecondLookVerdict TakeSecondLook(std::vector<v1::Measurement>& kept,
                                 absl::FunctionRef<std::vector<v1::Measurement>(const TimingOptions&)> measure,
                                 absl::FunctionRef<int()> read_sm_clock, const TimingOptions& full,
                                 const NoiseCheckOptions& noise, const SecondLookOptions& options);

}  // namespace convlat::agent
