#pragma once
// The timing rules the backend tests run real layers under: enough to get statistics, short
// enough for CI.

#include "profiler_agent/backend/conv_backend.h"

namespace convlat::agent {

inline TimingOptions FastTiming() {
  TimingOptions timing;
  timing.warmup_runs = 1;
  timing.min_repetitions = 3;
  timing.min_seconds = 0;
  timing.max_seconds = 0.2;
  return timing;
}

}  // namespace convlat::agent
