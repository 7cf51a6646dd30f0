#pragma once
// Every configuration measured under the spread check: an attempt whose spread is too wide (or
// during which the GPU throttled) is measured again, up to a limit; the steadiest attempt is kept,
// and one that stayed unsteady is flagged noisy. The one place this happens for convolutions and
// ops, on every backend (the sweep runner wraps Measure and MeasureOp in it).

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "convlat/v1/types.pb.h"
#include "profiler_agent/noise/sm_clock_throttle.h"
#include "profiler_agent/noise/spread_check.h"

namespace convlat::agent {

struct NoiseCheckOptions {
  SpreadLimits limits;
  // Attempts after the first for a configuration that is unsteady (--max_remeasurements); 0 only
  // flags it.
  int max_remeasurements = 2;
  double max_sm_clock_drop_share = kMaxSmClockDropShare;
};

// What the check made of one configuration.
struct CheckedConfig {
  // The backend's measurements (one, or one per algorithm), each the steadiest of its attempts,
  // with noisy, remeasurements and the SM clocks set.
  std::vector<v1::Measurement> measurements;
  int remeasurements = 0;
  bool noisy = false;      // a measurement stayed unsteady after the last attempt
  bool throttled = false;  // ... because the SM clock fell while it was measured
  // Why the noisiest kept measurement is noisy ("median/min 12.4 > 2", "SM clock 1980 -> 1410
  // MHz"); empty when none is.
  std::string reason;
};

// `measure` runs one attempt: the backend's Measure (or MeasureOp, as a one-element list).
// `read_sm_clock` gives the GPU's SM clock now, 0 when unknown (CPUs). Failed measurements are
// neither judged nor measured again. With several algorithms, each algorithm keeps its steadiest
// attempt.
CheckedConfig MeasureChecked(absl::FunctionRef<std::vector<v1::Measurement>()> measure,
                             absl::FunctionRef<int()> read_sm_clock, const NoiseCheckOptions& options);

}  // namespace convlat::agent
