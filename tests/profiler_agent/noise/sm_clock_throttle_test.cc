// The throttling rule on given clocks.
#include "profiler_agent/noise/sm_clock_throttle.h"

#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

TEST(SmClockThrottleTest, ADropBeyondTheShareIsThrottling) {
  EXPECT_TRUE(SmClockThrottled(1980, 1410));  // -29 %
  EXPECT_TRUE(SmClockThrottled(1980, 1770));  // -10.6 %
}

TEST(SmClockThrottleTest, BoostStepsAndRisesAreNot) {
  EXPECT_FALSE(SmClockThrottled(1980, 1965));  // one 15 MHz boost step
  EXPECT_FALSE(SmClockThrottled(1980, 1782));  // exactly -10 %
  EXPECT_FALSE(SmClockThrottled(210, 1980));   // an idle GPU clocking up
  EXPECT_FALSE(SmClockThrottled(1980, 1980));
}

TEST(SmClockThrottleTest, AnUnknownClockIsNeverThrottling) {
  EXPECT_FALSE(SmClockThrottled(0, 0));
  EXPECT_FALSE(SmClockThrottled(1980, 0));
  EXPECT_FALSE(SmClockThrottled(0, 1410));
}

TEST(SmClockThrottleTest, TheShareIsConfigurable) {
  EXPECT_TRUE(SmClockThrottled(2000, 1940, 0.02));
  EXPECT_FALSE(SmClockThrottled(2000, 1940, 0.05));
}

}  // namespace
}  // namespace convlat::agent
