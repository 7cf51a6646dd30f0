#include "profiler_agent/backend/timing_stats.h"

#include <algorithm>
#include <cmath>

namespace convlat::agent {
namespace {

double Percentile(const std::vector<double>& sorted, double fraction) {
  const size_t rank = static_cast<size_t>(std::ceil(fraction * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

v1::LatencyStats SummarizeTimings(std::vector<double> samples_us) {
  v1::LatencyStats stats;
  if (samples_us.empty()) return stats;
  std::sort(samples_us.begin(), samples_us.end());
  const size_t n = samples_us.size();
  stats.set_median_us(n % 2 ? samples_us[n / 2] : (samples_us[n / 2 - 1] + samples_us[n / 2]) / 2);
  stats.set_min_us(samples_us.front());
  stats.set_p10_us(Percentile(samples_us, 0.10));
  stats.set_p90_us(Percentile(samples_us, 0.90));
  stats.set_repetitions(static_cast<int32_t>(n));
  return stats;
}

}  // namespace convlat::agent
