#pragma once
// How long each configuration is timed, as one rule every backend follows: after the warm-up,
// repetitions until both minimums are met or either maximum is reached. The rule is a function of
// the count and the time elapsed so far, so it is tested on given numbers, never on a real clock.

namespace convlat::agent {

struct TimingOptions {
  int warmup_runs = 2;
  int min_repetitions = 5;
  int max_repetitions = 1000;
  double min_seconds = 0.05;
  double max_seconds = 1.0;
};

// The rules for timing a configuration hot, after it was timed under `evicted`: one warm-up run
// and a fifth of the time limits, the same repetition counts. Hot runs skip the eviction that
// dominates an evicted run's cost, and are steadier, so a short series suffices; the sweep's time
// grows by little.
TimingOptions HotTiming(const TimingOptions& evicted);

// Whether to time one more run after `repetitions` runs and `elapsed_seconds` since the first
// (untimed work between runs, such as scrubbing the caches, counts: the limits bound the sweep).
bool WantsAnotherRun(const TimingOptions& timing, int repetitions, double elapsed_seconds);

// For backends that time runs in chunks between device events: how many runs the next chunk may
// take, at least 1 (called only when WantsAnotherRun), at most `max_chunk`, and no more than the
// time left to the larger limit affords at `seconds_per_run` (0: unknown, the whole chunk).
int RunsInNextChunk(const TimingOptions& timing, int repetitions, double elapsed_seconds, double seconds_per_run,
                    int max_chunk);

}  // namespace convlat::agent
