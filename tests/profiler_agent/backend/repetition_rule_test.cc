// The repetition rule on given counts and elapsed times: no clock, so no test depends on how busy
// the machine is.
#include "profiler_agent/backend/repetition_rule.h"

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

constexpr TimingOptions kDefault;  // 5 runs and 50 ms at least; 1,000 runs or 1 s at most

// Simulates a configuration whose runs take `run_seconds` each plus `overhead_seconds` of untimed
// work between runs (the cache scrub), on a fake clock; returns how many runs the rule allows.
int RunsTimed(const TimingOptions& timing, double run_seconds, double overhead_seconds = 0) {
  int runs = 0;
  double elapsed = 0;
  while (WantsAnotherRun(timing, runs, elapsed)) {
    elapsed += overhead_seconds + run_seconds;
    ++runs;
  }
  return runs;
}

TEST(RepetitionRuleTest, HotSeriesAreAFifthOfTheTimeWithTheSameCounts) {
  const TimingOptions hot = HotTiming(kDefault);
  EXPECT_EQ(hot.warmup_runs, 1);
  EXPECT_EQ(hot.min_repetitions, kDefault.min_repetitions);
  EXPECT_EQ(hot.max_repetitions, kDefault.max_repetitions);
  EXPECT_DOUBLE_EQ(hot.min_seconds, 0.01);
  EXPECT_DOUBLE_EQ(hot.max_seconds, 0.2);
  // A 1 ms layer: 11 hot runs (past 10 ms) where the evicted series took 52 at 1/1024 s.
  EXPECT_EQ(RunsTimed(hot, 1.0 / 1024), 11);
}

TEST(RepetitionRuleTest, FastLayersRunUntilTheMinimumTime) {
  // Run times are binary fractions, so the fake clock adds them up exactly.
  EXPECT_EQ(RunsTimed(kDefault, 1.0 / 1024), 52);  // the first count past 50 ms
  EXPECT_EQ(RunsTimed(kDefault, 1.0 / 8192), 410);
}

TEST(RepetitionRuleTest, VeryFastLayersStopAtTheMaximumCount) { EXPECT_EQ(RunsTimed(kDefault, 1.0 / (1 << 20)), 1000); }

TEST(RepetitionRuleTest, SlowLayersRunTheMinimumCount) {
  EXPECT_EQ(RunsTimed(kDefault, 0.125), 5);  // 0.625 s: both minimums met, no maximum reached
}

TEST(RepetitionRuleTest, VerySlowLayersStopAtTheMaximumTime) {
  EXPECT_EQ(RunsTimed(kDefault, 0.375), 3);  // 1.125 s after the third run: past the 1 s limit
  EXPECT_EQ(RunsTimed(kDefault, 2.0), 1);    // one run always happens
}

TEST(RepetitionRuleTest, UntimedWorkBetweenRunsCountsAgainstTheLimits) {
  // A busy machine: each cache scrub takes 0.09375 s around a 0.03125 s run. The sweep's time
  // stays bounded, so fewer than the minimum count of runs is a possible, honest outcome.
  EXPECT_EQ(RunsTimed(kDefault, 0.03125, 0.09375), 5);
  TimingOptions short_limit = kDefault;
  short_limit.max_seconds = 0.2;  // the backend tests' limit
  EXPECT_EQ(RunsTimed(short_limit, 0.03125, 0.09375), 2);
  EXPECT_EQ(RunsTimed(short_limit, 0.03125), 5);
}

TEST(RepetitionRuleTest, ZeroMinimumTimeIsTheMinimumCount) {
  TimingOptions timing = kDefault;
  timing.min_seconds = 0;
  timing.min_repetitions = 3;
  EXPECT_EQ(RunsTimed(timing, 1.0 / (1 << 20)), 3);
}

TEST(RepetitionRuleTest, ChunksFillTheTimeLeftAndNeverExceedTheCount) {
  // 1 s left at ~1 ms a run affords 1,024 runs; the chunk caps at 100.
  EXPECT_EQ(RunsInNextChunk(kDefault, 0, 0.0, 1.0 / 1024, 100), 100);
  // 0.125 s left at 1/128 s a run: 16 runs.
  EXPECT_EQ(RunsInNextChunk(kDefault, 0, 0.875, 1.0 / 128, 100), 16);
  // Unknown cost per run: the whole chunk, but never past the maximum count.
  EXPECT_EQ(RunsInNextChunk(kDefault, 0, 0.0, 0, 100), 100);
  EXPECT_EQ(RunsInNextChunk(kDefault, 995, 0.0, 0, 100), 5);
  // A run longer than the time left: still one.
  EXPECT_EQ(RunsInNextChunk(kDefault, 3, 0.99, 0.5, 100), 1);
}

}  // namespace
}  // namespace convlat::agent
