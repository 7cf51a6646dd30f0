#include "profiler_agent/backend/repetition_rule.h"

#include <algorithm>

namespace convlat::agent {

TimingOptions HotTiming(const TimingOptions& evicted) {
  TimingOptions hot = evicted;
  hot.warmup_runs = 1;
  hot.min_seconds = evicted.min_seconds / 5;
  hot.max_seconds = evicted.max_seconds / 5;
  return hot;
}

bool WantsAnotherRun(const TimingOptions& timing, int repetitions, double elapsed_seconds) {
  if (repetitions >= timing.max_repetitions || elapsed_seconds >= timing.max_seconds) return false;
  return repetitions < timing.min_repetitions || elapsed_seconds < timing.min_seconds;
}

int RunsInNextChunk(const TimingOptions& timing, int repetitions, double elapsed_seconds, double seconds_per_run,
                    int max_chunk) {
  const double time_left = std::max(timing.min_seconds, timing.max_seconds) - elapsed_seconds;
  const int affordable = seconds_per_run > 0 ? static_cast<int>(time_left / seconds_per_run) : max_chunk;
  return std::clamp(std::min(affordable, timing.max_repetitions - repetitions), 1, max_chunk);
}

}  // namespace convlat::agent
