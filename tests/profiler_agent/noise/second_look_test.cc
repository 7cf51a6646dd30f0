// The second look with a scripted measurer: each call returns the next scripted statistics and
// records the timing it was asked for. The figures are synthetic, for this test only.
#include "profiler_agent/noise/second_look.h"

#include <deque>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

// Steady statistics around `median` (p90/p10 and median/min well inside the spread limits).
v1::Measurement Steady(double median, const std::string& algorithm = "") {
  v1::Measurement m;
  m.set_algorithm(algorithm);
  v1::LatencyStats* stats = m.mutable_latency();
  stats->set_min_us(median * 0.97);
  stats->set_p10_us(median * 0.98);
  stats->set_median_us(median);
  stats->set_p90_us(median * 1.05);
  stats->set_repetitions(20);
  return m;
}
v1::Measurement WithHot(v1::Measurement m, double hot_median) {
  *m.mutable_hot_latency() = Steady(hot_median).latency();
  return m;
}

class ScriptedMeasurer {
 public:
  explicit ScriptedMeasurer(std::deque<std::vector<v1::Measurement>> calls) : calls_(std::move(calls)) {}
  std::vector<v1::Measurement> operator()(const TimingOptions& timing) {
    timings.push_back(timing);
    std::vector<v1::Measurement> next = calls_.front();
    if (calls_.size() > 1) calls_.pop_front();  // the last one repeats
    return next;
  }
  std::vector<TimingOptions> timings;

 private:
  std::deque<std::vector<v1::Measurement>> calls_;
};

int NoClock() { return 0; }

SecondLookVerdict Look(std::vector<v1::Measurement>& kept, ScriptedMeasurer& measurer) {
  return TakeSecondLook(
      kept, [&](const TimingOptions& timing) { return measurer(timing); }, NoClock, TimingOptions{},
      NoiseCheckOptions{}, SecondLookOptions{});
}

TEST(SecondLookTimingTest, IsABriefTimingWithTheSameRepetitionCounts) {
  const TimingOptions full{
      .warmup_runs = 3, .min_repetitions = 5, .max_repetitions = 100, .min_seconds = 0.05, .max_seconds = 1.0};
  const TimingOptions look = SecondLookTiming(full);
  EXPECT_EQ(look.warmup_runs, 1);
  EXPECT_EQ(look.min_repetitions, 5);
  EXPECT_EQ(look.max_repetitions, 100);
  EXPECT_DOUBLE_EQ(look.min_seconds, 0.01);
  EXPECT_DOUBLE_EQ(look.max_seconds, 0.2);
}

TEST(SlowedThroughoutTest, OnlyAFirstTimingWellAboveTheSecondLookIsSlowed) {
  EXPECT_EQ(SlowedThroughout(Steady(140), Steady(100), 1.5), "");
  EXPECT_EQ(SlowedThroughout(Steady(100), Steady(800), 1.5), "") << "a slower second look says nothing";
  EXPECT_THAT(SlowedThroughout(Steady(7972), Steady(97), 1.5), HasSubstr("median 7972 us, 82.2x"));
  EXPECT_THAT(SlowedThroughout(WithHot(Steady(100), 900), WithHot(Steady(100), 60), 1.5),
              HasSubstr("hot median 900 us"));
  v1::Measurement failed = Steady(7972);
  failed.set_failed(true);
  EXPECT_EQ(SlowedThroughout(failed, Steady(97), 1.5), "");
}

TEST(TakeSecondLookTest, AgreeingLookKeepsTheFirstTimingAndCostsOneBriefCall) {
  std::vector<v1::Measurement> kept = {Steady(100)};
  ScriptedMeasurer measurer({{Steady(110)}});
  const SecondLookVerdict verdict = Look(kept, measurer);
  EXPECT_FALSE(verdict.disagreed);
  EXPECT_FALSE(verdict.replaced);
  EXPECT_NEAR(verdict.first_over_second, 100.0 / 110, 1e-12);
  ASSERT_EQ(measurer.timings.size(), 1u);
  EXPECT_DOUBLE_EQ(measurer.timings[0].max_seconds, SecondLookTiming(TimingOptions{}).max_seconds);
  EXPECT_DOUBLE_EQ(kept[0].latency().median_us(), 100);
  EXPECT_EQ(kept[0].remeasurements(), 0);
}

TEST(TakeSecondLookTest, FirstTimingSlowedThroughoutIsReplacedByAFullRetiming) {
  std::vector<v1::Measurement> kept = {Steady(8000)};
  ScriptedMeasurer measurer({{Steady(100)}, {Steady(104)}});
  const SecondLookVerdict verdict = Look(kept, measurer);
  EXPECT_TRUE(verdict.disagreed);
  EXPECT_TRUE(verdict.replaced);
  EXPECT_THAT(verdict.reason, HasSubstr("median 8000 us"));
  EXPECT_DOUBLE_EQ(verdict.first_over_second, 80);
  ASSERT_EQ(measurer.timings.size(), 2u);
  EXPECT_DOUBLE_EQ(measurer.timings[1].max_seconds, TimingOptions{}.max_seconds) << "the re-timing is a full one";
  EXPECT_DOUBLE_EQ(kept[0].latency().median_us(), 104) << "the full re-timing is kept, not the brief look";
  EXPECT_EQ(kept[0].remeasurements(), 1);
  EXPECT_FALSE(kept[0].noisy());
}

TEST(TakeSecondLookTest, FasterFirstTimingIsKeptWhenTheRetimingIsSlowedInstead) {
  std::vector<v1::Measurement> kept = {Steady(300)};
  ScriptedMeasurer measurer({{Steady(100)}, {Steady(900)}});
  const SecondLookVerdict verdict = Look(kept, measurer);
  EXPECT_TRUE(verdict.disagreed);
  EXPECT_FALSE(verdict.replaced);
  EXPECT_DOUBLE_EQ(kept[0].latency().median_us(), 300);
  EXPECT_EQ(kept[0].remeasurements(), 1) << "the extra attempt is counted either way";
}

TEST(TakeSecondLookTest, EachAlgorithmKeepsItsFasterTimingAndFailuresAreLeftAlone) {
  v1::Measurement failed;
  failed.set_algorithm("fft");
  failed.set_failed(true);
  std::vector<v1::Measurement> kept = {Steady(5000, "gemm"), Steady(200, "winograd"), failed};
  ScriptedMeasurer measurer(
      {{Steady(100, "gemm"), Steady(210, "winograd"), failed}, {Steady(105, "gemm"), Steady(230, "winograd"), failed}});
  const SecondLookVerdict verdict = Look(kept, measurer);
  EXPECT_TRUE(verdict.replaced);
  EXPECT_DOUBLE_EQ(kept[0].latency().median_us(), 105);
  EXPECT_DOUBLE_EQ(kept[1].latency().median_us(), 200) << "winograd's first timing was the faster";
  EXPECT_TRUE(kept[2].failed());
  EXPECT_EQ(kept[2].remeasurements(), 0);
}

TEST(TakeSecondLookTest, NoisyRetimingDoesNotReplaceASteadyFirstTiming) {
  std::vector<v1::Measurement> kept = {Steady(8000)};
  v1::Measurement spiky = Steady(1000);
  spiky.mutable_latency()->set_min_us(100);  // median/min 10: stays noisy through every attempt
  ScriptedMeasurer measurer({{Steady(100)}, {spiky}});
  const SecondLookVerdict verdict = Look(kept, measurer);
  EXPECT_TRUE(verdict.disagreed);
  EXPECT_FALSE(verdict.replaced);
  EXPECT_DOUBLE_EQ(kept[0].latency().median_us(), 8000);
  EXPECT_EQ(measurer.timings.size(), 1u + 1u + NoiseCheckOptions{}.max_remeasurements);
}

}  // namespace
}  // namespace convlat::agent
