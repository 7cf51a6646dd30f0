#include "profiler_agent/backend/timing_stats.h"

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

TEST(TimingStatsTest, OrderStatistics) {
  const v1::LatencyStats stats = SummarizeTimings({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_DOUBLE_EQ(stats.median_us(), 5.5);
  EXPECT_DOUBLE_EQ(stats.min_us(), 1);
  EXPECT_DOUBLE_EQ(stats.p10_us(), 1);
  EXPECT_DOUBLE_EQ(stats.p90_us(), 9);
  EXPECT_EQ(stats.repetitions(), 10);
}

TEST(TimingStatsTest, OddCountAndEmpty) {
  EXPECT_DOUBLE_EQ(SummarizeTimings({3, 1, 2}).median_us(), 2);
  EXPECT_EQ(SummarizeTimings({}).repetitions(), 0);
}

}  // namespace
}  // namespace convlat::agent
