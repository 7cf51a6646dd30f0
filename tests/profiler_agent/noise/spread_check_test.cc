// The spread rule on given statistics (no clock involved).
#include "profiler_agent/noise/spread_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

v1::LatencyStats Stats(double min, double p10, double median, double p90) {
  v1::LatencyStats stats;
  stats.set_min_us(min);
  stats.set_p10_us(p10);
  stats.set_median_us(median);
  stats.set_p90_us(p90);
  stats.set_repetitions(20);
  return stats;
}

TEST(SpreadCheckTest, ATightSpreadIsStable) {
  const SpreadVerdict verdict = CheckSpread(Stats(100, 102, 105, 120), SpreadLimits{});
  EXPECT_TRUE(verdict.stable);
  EXPECT_DOUBLE_EQ(verdict.p90_over_p10, 120.0 / 102);
  EXPECT_DOUBLE_EQ(verdict.median_over_min, 1.05);
  EXPECT_LE(verdict.score, 1);
  EXPECT_TRUE(verdict.reason.empty());
}

// The relu on 1x256x28x28: median 4,844 us against a minimum of 113 us.
TEST(SpreadCheckTest, AMedianFarAboveTheMinimumIsUnstable) {
  const SpreadVerdict verdict = CheckSpread(Stats(113, 120, 4844, 5000), SpreadLimits{});
  EXPECT_FALSE(verdict.stable);
  EXPECT_GT(verdict.score, 1);
  EXPECT_THAT(verdict.reason, HasSubstr("median/min 42.9 > 2"));
}

TEST(SpreadCheckTest, AWideBulkIsUnstableEvenWithASteadyMedian) {
  const SpreadVerdict verdict = CheckSpread(Stats(100, 100, 110, 900), SpreadLimits{});
  EXPECT_FALSE(verdict.stable);
  EXPECT_THAT(verdict.reason, HasSubstr("p90/p10 9 > 3"));
  EXPECT_THAT(verdict.reason, ::testing::Not(HasSubstr("median/min")));
}

TEST(SpreadCheckTest, BothLimitsAreNamedWhenBothAreExceeded) {
  const SpreadVerdict verdict = CheckSpread(Stats(100, 110, 500, 2000), SpreadLimits{});
  EXPECT_FALSE(verdict.stable);
  EXPECT_THAT(verdict.reason, HasSubstr("p90/p10"));
  EXPECT_THAT(verdict.reason, HasSubstr("median/min"));
}

TEST(SpreadCheckTest, TheLimitsAreInclusiveAndConfigurable) {
  const SpreadLimits limits{.max_p90_over_p10 = 1.5, .max_median_over_min = 1.2};
  EXPECT_TRUE(CheckSpread(Stats(100, 100, 120, 150), limits).stable);
  EXPECT_FALSE(CheckSpread(Stats(100, 100, 121, 150), limits).stable);
  EXPECT_FALSE(CheckSpread(Stats(100, 100, 120, 151), limits).stable);
}

TEST(SpreadCheckTest, TheScoreRanksAttemptsBySteadiness) {
  const SpreadLimits limits;
  EXPECT_LT(CheckSpread(Stats(100, 100, 300, 400), limits).score,
            CheckSpread(Stats(100, 100, 900, 1000), limits).score);
}

TEST(SpreadCheckTest, StatisticsWithoutAPositiveMinimumAreNotJudged) {
  EXPECT_TRUE(CheckSpread(v1::LatencyStats(), SpreadLimits{}).stable);
  EXPECT_TRUE(CheckSpread(Stats(0, 0, 50, 100), SpreadLimits{}).stable);
}

}  // namespace
}  // namespace convlat::agent
