#include "profiler_agent/noise/sm_clock_throttle.h"

namespace convlat::agent {

bool SmClockThrottled(int before_mhz, int after_mhz, double max_drop_share) {
  if (before_mhz <= 0 || after_mhz <= 0) return false;
  return static_cast<double>(before_mhz - after_mhz) / before_mhz > max_drop_share;
}

}  // namespace convlat::agent
