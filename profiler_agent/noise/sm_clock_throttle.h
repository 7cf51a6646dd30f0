#pragma once
// Whether the GPU throttled while a configuration was measured, from the SM clock read before and
// after it (nvml_sm_clock.h). Pure, so it is tested on given clocks.

namespace convlat::agent {

// The documented default: the clock read after a measurement more than 10 % below the one read
// before it. GPU boost moves the SM clock in 15 MHz steps within a few percent as temperature and
// power change; a thermal, power or sync-boost slowdown cuts it by more.
inline constexpr double kMaxSmClockDropShare = 0.10;

// `after_mhz` below `before_mhz` by more than `max_drop_share` of it. False when either reading is
// 0 (unknown); a rise is never throttling.
bool SmClockThrottled(int before_mhz, int after_mhz, double max_drop_share = kMaxSmClockDropShare);

}  // namespace convlat::agent
