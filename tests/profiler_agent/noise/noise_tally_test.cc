// The sweep's noise summary and warnings from given check results.
#include "profiler_agent/noise/noise_tally.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

CheckedConfig Steady() { return {}; }
CheckedConfig Rescued() { return {.remeasurements = 1}; }
CheckedConfig Noisy(bool throttled = false) {
  return {.remeasurements = 2, .noisy = true, .throttled = throttled, .reason = "median/min 12.4 > 2"};
}

TEST(NoiseTallyTest, CountsWhatWasRemeasuredAndWhatStayedNoisy) {
  NoiseTally tally;
  tally.Add("a", Steady());
  tally.Add("b", Rescued());
  tally.Add("c", Noisy());
  tally.Add("d", Noisy(/*throttled=*/true));
  tally.Add("e", Steady());
  const NoiseCounts& counts = tally.counts();
  EXPECT_EQ(counts.configs, 5);
  EXPECT_EQ(counts.remeasured, 3);
  EXPECT_EQ(counts.noisy, 2);
  EXPECT_EQ(counts.throttled, 1);
  EXPECT_EQ(counts.longest_noisy_run, 2);
  EXPECT_EQ(NoiseSummary(counts),
            "5 configurations checked: 3 re-measured, 2 stored flagged noisy (1 for GPU throttling), 0 slowed "
            "throughout (second look; 0 re-timed faster)");
}

TEST(NoiseTallyTest, AQuietSweepHasNoWarnings) {
  NoiseTally tally;
  for (int i = 0; i < 50; ++i) tally.Add("conv", Steady());
  tally.Add("conv", Rescued());  // 2 % re-measured: a quiet machine has a few
  EXPECT_THAT(NoiseWarnings(tally.counts()), IsEmpty());
  EXPECT_THAT(NoiseWarnings(NoiseCounts{}), IsEmpty());
}

TEST(NoiseTallyTest, ARunOfNoisyConfigsWarnsOnceWhileTheSweepGoesOn) {
  NoiseTally tally(/*busy_run_length=*/3);
  EXPECT_FALSE(tally.Add("op=relu", Noisy()).has_value());
  EXPECT_FALSE(tally.Add("op=relu", Noisy()).has_value());
  std::optional<std::string> warning = tally.Add("op=concat,inputs=16", Noisy());
  ASSERT_TRUE(warning.has_value());
  EXPECT_THAT(*warning, HasSubstr("WARNING: this machine looks busy: the last 3 configurations stayed noisy"));
  EXPECT_THAT(*warning, HasSubstr("op=concat,inputs=16: median/min 12.4 > 2"));
  EXPECT_THAT(*warning, HasSubstr(kQuietMachineAdvice));
  EXPECT_FALSE(tally.Add("op=relu", Noisy()).has_value()) << "once per run of noisy configs";
  tally.Add("op=relu", Steady());
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(tally.Add("op=relu", Noisy()).has_value());
  EXPECT_TRUE(tally.Add("op=relu", Noisy()).has_value()) << "a new run warns again";
}

// The goal: a sweep with 15 % of its configurations disturbed warns, even when
// re-measuring rescued every one of them.
TEST(NoiseTallyTest, FifteenPercentDisturbedWarnsThatTheMachineLookedBusy) {
  NoiseTally tally;
  for (int i = 0; i < 100; ++i) tally.Add("conv", i % 20 < 3 ? Rescued() : Steady());
  const std::vector<std::string> warnings = NoiseWarnings(tally.counts());
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0],
              HasSubstr("this machine looked busy while it measured: of 100 configurations 15 were re-measured, 0 were "
                        "slowed throughout and 0 stayed noisy"));
  EXPECT_THAT(warnings[0], HasSubstr(kQuietMachineAdvice));
}

TEST(NoiseTallyTest, NoisyAndThrottledConfigsEachGetAWarningWithExamples) {
  NoiseTally tally;
  for (int i = 0; i < 40; ++i) tally.Add("conv", Steady());
  tally.Add("op=relu,n=1,c=256,h=28,w=28", Noisy());
  tally.Add("n=1,c=64,h=56,w=56,k=64,r=3,s=3", Noisy(/*throttled=*/true));
  const std::vector<std::string> warnings = NoiseWarnings(tally.counts());
  // 2 of 42 re-measured, 2 in a row: too few to call the machine busy.
  ASSERT_THAT(warnings, SizeIs(2));
  EXPECT_THAT(warnings[0], HasSubstr("2 of 42 configurations stayed noisy"));
  EXPECT_THAT(warnings[0], HasSubstr("op=relu,n=1,c=256,h=28,w=28: median/min 12.4 > 2"));
  EXPECT_THAT(warnings[1], HasSubstr("SM clock fell during 1 configurations"));
}

TEST(NoiseTallyTest, ConfigsSlowedThroughoutAreCountedAndNamedInAWarning) {
  NoiseTally tally;
  for (int i = 0; i < 40; ++i) {
    tally.Add("conv", Steady());
    tally.AddSecondLook("conv", {.first_over_second = 1.0});
  }
  tally.Add("n=1,c=58,h=28,w=28,k=58,r=3,s=3,groups=58", Steady());
  tally.AddSecondLook("n=1,c=58,h=28,w=28,k=58,r=3,s=3,groups=58",
                      {.disagreed = true,
                       .replaced = true,
                       .reason = "median 7972 us, 82.2x the second look's 97 us",
                       .first_over_second = 82.2});
  tally.Add("conv", Steady());
  tally.AddSecondLook("conv", {.disagreed = true, .replaced = false, .reason = "median 300 us, 3.0x"});
  const NoiseCounts& counts = tally.counts();
  EXPECT_EQ(counts.slowed, 2);
  EXPECT_EQ(counts.slowed_replaced, 1);
  EXPECT_THAT(NoiseSummary(counts), HasSubstr("2 slowed throughout (second look; 1 re-timed faster)"));
  EXPECT_THAT(NoiseSummary(counts),
              HasSubstr("; first timing / second look: median 1.00, 99th percentile 1.00, max 82.20"))
      << "the last one had nothing to compare";
  const std::vector<std::string> warnings = NoiseWarnings(counts);
  // 2 of 42: too few to call the machine busy, but each slowed configuration is named.
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("2 of 42 configurations were slowed through their whole timing"));
  EXPECT_THAT(warnings[0], HasSubstr("groups=58: median 7972 us, 82.2x the second look's 97 us"));
}

}  // namespace
}  // namespace convlat::agent
