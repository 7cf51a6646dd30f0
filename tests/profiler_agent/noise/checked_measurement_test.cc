// The re-measuring loop with a scripted measurer: each attempt returns the next scripted
// statistics, so the test says what a busy and a quiet moment look like without a clock. The
// figures are synthetic, for this test only.
#include "profiler_agent/noise/checked_measurement.h"

#include <deque>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

v1::Measurement Timed(double min, double median, const std::string& algorithm = "") {
  v1::Measurement m;
  m.set_algorithm(algorithm);
  v1::LatencyStats* stats = m.mutable_latency();
  stats->set_min_us(min);
  stats->set_p10_us(min);
  stats->set_median_us(median);
  stats->set_p90_us(median * 1.1);
  stats->set_repetitions(20);
  return m;
}
v1::Measurement Clean() { return Timed(100, 105); }
v1::Measurement Spiky() { return Timed(100, 1000); }  // a 10x spike on most runs

// Hands out the scripted attempts in order and counts the calls.
class ScriptedMeasurer {
 public:
  explicit ScriptedMeasurer(std::deque<std::vector<v1::Measurement>> attempts) : attempts_(std::move(attempts)) {}
  std::vector<v1::Measurement> operator()() {
    ++calls_;
    std::vector<v1::Measurement> next = attempts_.front();
    if (attempts_.size() > 1) attempts_.pop_front();  // the last one repeats
    return next;
  }
  int calls() const { return calls_; }

 private:
  std::deque<std::vector<v1::Measurement>> attempts_;
  int calls_ = 0;
};

int NoClock() { return 0; }

// Reads the scripted SM clocks (MHz) in order, one per call.
class ScriptedClock {
 public:
  explicit ScriptedClock(std::deque<int> mhz) : mhz_(std::move(mhz)) {}
  int operator()() {
    const int next = mhz_.front();
    mhz_.pop_front();
    return next;
  }

 private:
  std::deque<int> mhz_;
};

TEST(CheckedMeasurementTest, ASteadyConfigIsMeasuredOnce) {
  ScriptedMeasurer measurer({{Clean()}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, NoiseCheckOptions{});
  EXPECT_EQ(measurer.calls(), 1);
  ASSERT_EQ(checked.measurements.size(), 1u);
  EXPECT_FALSE(checked.noisy);
  EXPECT_FALSE(checked.measurements[0].noisy());
  EXPECT_EQ(checked.measurements[0].remeasurements(), 0);
  EXPECT_EQ(checked.remeasurements, 0);
}

TEST(CheckedMeasurementTest, ASpikyFirstAttemptThenACleanOneStoresTheCleanOne) {
  ScriptedMeasurer measurer({{Spiky()}, {Clean()}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, NoiseCheckOptions{});
  EXPECT_EQ(measurer.calls(), 2);
  ASSERT_EQ(checked.measurements.size(), 1u);
  const v1::Measurement& kept = checked.measurements[0];
  EXPECT_FALSE(kept.noisy());
  EXPECT_EQ(kept.remeasurements(), 1);
  EXPECT_DOUBLE_EQ(kept.latency().median_us(), 105);
  EXPECT_FALSE(checked.noisy);
  EXPECT_TRUE(checked.reason.empty());
}

TEST(CheckedMeasurementTest, AlwaysSpikyIsStoredNoisyAfterTheLimit) {
  ScriptedMeasurer measurer({{Spiky()}});
  NoiseCheckOptions options;
  options.max_remeasurements = 2;
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, options);
  EXPECT_EQ(measurer.calls(), 3);
  ASSERT_EQ(checked.measurements.size(), 1u);
  EXPECT_TRUE(checked.measurements[0].noisy());
  EXPECT_EQ(checked.measurements[0].remeasurements(), 2);
  EXPECT_TRUE(checked.noisy);
  EXPECT_THAT(checked.reason, HasSubstr("median/min 10 > 2"));
}

TEST(CheckedMeasurementTest, TheSteadiestOfSeveralNoisyAttemptsIsKept) {
  ScriptedMeasurer measurer({{Timed(100, 900)}, {Timed(100, 300)}, {Timed(100, 700)}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, NoiseCheckOptions{});
  ASSERT_EQ(checked.measurements.size(), 1u);
  EXPECT_TRUE(checked.measurements[0].noisy());
  EXPECT_DOUBLE_EQ(checked.measurements[0].latency().median_us(), 300);
}

TEST(CheckedMeasurementTest, ZeroRemeasurementsOnlyFlags) {
  ScriptedMeasurer measurer({{Spiky()}, {Clean()}});
  NoiseCheckOptions options;
  options.max_remeasurements = 0;
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, options);
  EXPECT_EQ(measurer.calls(), 1);
  EXPECT_TRUE(checked.measurements[0].noisy());
  EXPECT_EQ(checked.measurements[0].remeasurements(), 0);
}

TEST(CheckedMeasurementTest, FailedMeasurementsAreNotMeasuredAgain) {
  v1::Measurement failed;
  failed.set_failed(true);
  failed.set_failure_reason("unsupported");
  ScriptedMeasurer measurer({{failed}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, NoiseCheckOptions{});
  EXPECT_EQ(measurer.calls(), 1);
  EXPECT_TRUE(checked.measurements[0].failed());
  EXPECT_FALSE(checked.measurements[0].noisy());
}

// --algo all: each algorithm keeps its own steadiest attempt.
TEST(CheckedMeasurementTest, EachAlgorithmKeepsItsSteadiestAttempt) {
  ScriptedMeasurer measurer(
      {{Timed(10, 11, "gemm"), Timed(20, 400, "winograd")}, {Timed(10, 90, "gemm"), Timed(20, 21, "winograd")}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), NoClock, NoiseCheckOptions{});
  EXPECT_EQ(measurer.calls(), 2);
  ASSERT_EQ(checked.measurements.size(), 2u);
  EXPECT_EQ(checked.measurements[0].algorithm(), "gemm");
  EXPECT_DOUBLE_EQ(checked.measurements[0].latency().median_us(), 11);
  EXPECT_EQ(checked.measurements[1].algorithm(), "winograd");
  EXPECT_DOUBLE_EQ(checked.measurements[1].latency().median_us(), 21);
  for (const v1::Measurement& m : checked.measurements) {
    EXPECT_FALSE(m.noisy());
    EXPECT_EQ(m.remeasurements(), 1);
  }
}

// A GPU whose SM clock fell while it was measured: measured again, and flagged if it keeps
// throttling even though the spread looks fine.
TEST(CheckedMeasurementTest, TheSmClockIsRecordedAndAFallIsThrottling) {
  ScriptedClock read_clock({1980, 1410, 1980, 1395, 1980, 1380});
  ScriptedMeasurer measurer({{Clean()}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), std::ref(read_clock), NoiseCheckOptions{});
  EXPECT_EQ(measurer.calls(), 3);
  ASSERT_EQ(checked.measurements.size(), 1u);
  EXPECT_TRUE(checked.noisy);
  EXPECT_TRUE(checked.throttled);
  EXPECT_TRUE(checked.measurements[0].noisy());
  EXPECT_EQ(checked.measurements[0].sm_clock_mhz_before(), 1980);
  EXPECT_EQ(checked.measurements[0].sm_clock_mhz_after(), 1410);  // the first of equally steady attempts
  EXPECT_THAT(checked.reason, HasSubstr("SM clock 1980 -> 1410 MHz"));
}

TEST(CheckedMeasurementTest, ASteadyClockIsRecordedWithoutRemeasuring) {
  ScriptedClock read_clock({1980, 1965});
  ScriptedMeasurer measurer({{Clean()}});
  const CheckedConfig checked = MeasureChecked(std::ref(measurer), std::ref(read_clock), NoiseCheckOptions{});
  EXPECT_EQ(measurer.calls(), 1);
  EXPECT_FALSE(checked.throttled);
  EXPECT_EQ(checked.measurements[0].sm_clock_mhz_before(), 1980);
  EXPECT_EQ(checked.measurements[0].sm_clock_mhz_after(), 1965);
}

}  // namespace
}  // namespace convlat::agent
