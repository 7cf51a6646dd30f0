#include "profiler_agent/noise/spread_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convlat::agent {

SpreadVerdict CheckSpread(const v1::LatencyStats& latency, const SpreadLimits& limits) {
  SpreadVerdict verdict;
  if (latency.min_us() <= 0 || latency.p10_us() <= 0) return verdict;
  verdict.p90_over_p10 = latency.p90_us() / latency.p10_us();
  verdict.median_over_min = latency.median_us() / latency.min_us();
  const double width = verdict.p90_over_p10 / limits.max_p90_over_p10;
  const double shift = verdict.median_over_min / limits.max_median_over_min;
  verdict.score = std::max(width, shift);
  verdict.stable = verdict.score <= 1;
  if (width > 1) {
    absl::StrAppend(&verdict.reason,
                    absl::StrFormat("p90/p10 %.3g > %.3g", verdict.p90_over_p10, limits.max_p90_over_p10));
  }
  if (shift > 1) {
    absl::StrAppend(&verdict.reason, verdict.reason.empty() ? "" : ", ",
                    absl::StrFormat("median/min %.3g > %.3g", verdict.median_over_min, limits.max_median_over_min));
  }
  return verdict;
}

}  // namespace convlat::agent
