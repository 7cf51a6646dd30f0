// Unit tests of interval calibration. The residuals here are synthetic, drawn from a known noise
// distribution, so the tests can check the quantiles and the coverage they give; they are not
// measurements.
#include "model/interval/prediction_interval.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

Prediction PredictionOf(double latency_us, const std::string& kernel = "", const std::string& family = "",
                        const std::string& kind = "two-mode") {
  Prediction p;
  p.latency_us = latency_us;
  p.explanation.set_kernel(kernel);
  p.explanation.set_kernel_family(family);
  p.explanation.set_model_kind(kind);
  return p;
}

// Synthetic: measured = predicted × exp(N(bias, sigma)).
std::vector<HeldOutResidual> SyntheticResiduals(int count, double bias, double sigma, const std::string& kernel,
                                                const std::string& family, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(bias, sigma);
  std::uniform_real_distribution<double> latency(5, 5000);
  std::vector<HeldOutResidual> out;
  for (int i = 0; i < count; ++i) {
    const double predicted = latency(rng);
    out.push_back({PredictionOf(predicted, kernel, family), predicted * std::exp(noise(rng))});
  }
  return out;
}

double Coverage(const PredictionIntervals& intervals, const std::vector<HeldOutResidual>& fresh) {
  int inside = 0;
  for (HeldOutResidual r : fresh) {
    intervals.Apply(r.prediction);
    inside += r.measured_us >= r.prediction.p10_us && r.measured_us <= r.prediction.p90_us;
  }
  return static_cast<double>(inside) / fresh.size();
}

TEST(PredictionIntervalTest, SyntheticLogNormalNoiseGivesItsQuantiles) {
  std::vector<double> logs;
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.2);
  for (int i = 0; i < 20000; ++i) logs.push_back(noise(rng));
  const IntervalRatios ratios = RatiosFromLogResiduals(logs);
  // The 10 % and 90 % quantiles of N(0, 0.2) are ∓0.2563.
  EXPECT_NEAR(std::log(ratios.lower), -0.2563, 0.01);
  EXPECT_NEAR(std::log(ratios.upper), 0.2563, 0.01);
  EXPECT_EQ(ratios.residuals, 20000);
}

TEST(PredictionIntervalTest, FewResidualsWidenToTheConformalOrderStatistic) {
  // Of 5 residuals, ⌈6 × 0.9⌉ = 6 > 5: the largest; ⌊6 × 0.1⌋ = 0 → the smallest.
  const IntervalRatios five = RatiosFromLogResiduals({0.3, -0.1, 0.0, 0.1, -0.4});
  EXPECT_DOUBLE_EQ(five.lower, std::exp(-0.4));
  EXPECT_DOUBLE_EQ(five.upper, std::exp(0.3));
  // Of 19: ranks 2 and 18.
  std::vector<double> nineteen;
  for (int i = 0; i < 19; ++i) nineteen.push_back(i);
  const IntervalRatios r = RatiosFromLogResiduals(nineteen);
  EXPECT_DOUBLE_EQ(r.lower, std::exp(1.0));
  EXPECT_DOUBLE_EQ(r.upper, std::exp(17.0));
}

TEST(PredictionIntervalTest, SyntheticCalibrationCoversEightyPercentOfFreshDraws) {
  const PredictionIntervals intervals =
      PredictionIntervals::Calibrate(SyntheticResiduals(2000, 0.05, 0.15, "k", "f", 1));
  const double coverage = Coverage(intervals, SyntheticResiduals(20000, 0.05, 0.15, "k", "f", 2));
  EXPECT_GT(coverage, 0.77);
  EXPECT_LT(coverage, 0.85);
}

TEST(PredictionIntervalTest, EachKernelWithEnoughResidualsGetsItsOwnSpread) {
  std::vector<HeldOutResidual> residuals = SyntheticResiduals(500, 0, 0.05, "tight", "gemm", 1);
  for (const HeldOutResidual& r : SyntheticResiduals(500, 0, 0.5, "loose", "gemm", 2)) residuals.push_back(r);
  for (const HeldOutResidual& r : SyntheticResiduals(10, 0, 0.5, "rare", "winograd", 3)) residuals.push_back(r);
  const PredictionIntervals intervals = PredictionIntervals::Calibrate(residuals);

  Prediction tight = PredictionOf(100, "tight", "gemm"), loose = PredictionOf(100, "loose", "gemm");
  intervals.Apply(tight);
  intervals.Apply(loose);
  EXPECT_LT(tight.p90_us / tight.p10_us, 1.2);
  EXPECT_GT(loose.p90_us / loose.p10_us, 3.0);
  EXPECT_LE(tight.p10_us, 100);
  EXPECT_GE(tight.p90_us, 100);
  EXPECT_TRUE(tight.interval_calibrated);

  // Too few residuals of its own (10 < 40), nor of its family: the model's pooled spread. The same
  // for a kernel never seen.
  Prediction rare = PredictionOf(100, "rare", "winograd"), unseen = PredictionOf(100, "unseen", "");
  intervals.Apply(rare);
  intervals.Apply(unseen);
  const IntervalRatios pooled = *intervals.pooled();
  EXPECT_DOUBLE_EQ(rare.p10_us, 100 * pooled.lower);
  EXPECT_DOUBLE_EQ(rare.p90_us, 100 * pooled.upper);
  EXPECT_DOUBLE_EQ(unseen.p90_us, rare.p90_us);
  EXPECT_EQ(intervals.parameters("interval.conv").count("interval.conv[tight].p90_ratio"), 1);
  EXPECT_EQ(intervals.parameters("interval.conv").count("interval.conv[rare].p90_ratio"), 0);
}

TEST(PredictionIntervalTest, AFamilyWithEnoughResidualsCoversItsRareKernels) {
  std::vector<HeldOutResidual> residuals = SyntheticResiduals(500, 0, 0.05, "a", "gemm", 1);
  for (int i = 0; i < 6; ++i) {
    for (const HeldOutResidual& r : SyntheticResiduals(10, 0.3, 0.02, "w" + std::to_string(i), "winograd", 10 + i))
      residuals.push_back(r);
  }
  const PredictionIntervals intervals = PredictionIntervals::Calibrate(residuals);
  Prediction rare = PredictionOf(100, "w0", "winograd");
  intervals.Apply(rare);
  // Winograd's 60 residuals sit around +0.3: its interval is above the prediction.
  EXPECT_GT(rare.p10_us, 120);
}

// A measured configuration keeps the spread of its own timed runs: the residuals of a model say
// nothing about a layer that was not predicted.
TEST(PredictionIntervalTest, AMeasuredLayerKeepsItsOwnSpread) {
  const PredictionIntervals intervals = PredictionIntervals::Calibrate(SyntheticResiduals(500, 0, 0.3, "", "", 5));
  ASSERT_TRUE(intervals.calibrated());
  Prediction measured = PredictionOf(100);
  measured.explanation.set_measured(true);
  measured.p10_us = 97;
  measured.p90_us = 104;
  intervals.Apply(measured);
  EXPECT_EQ(measured.p10_us, 97);
  EXPECT_EQ(measured.p90_us, 104);
  Prediction predicted = PredictionOf(100);
  intervals.Apply(predicted);
  EXPECT_LT(predicted.p10_us, 90);
  EXPECT_GT(predicted.p90_us, 110);
  // Measured without the runs' spread (public data record one figure): the calibrated interval.
  Prediction bare = PredictionOf(100);
  bare.explanation.set_measured(true);
  intervals.Apply(bare);
  EXPECT_EQ(bare.p10_us, predicted.p10_us);
  EXPECT_EQ(bare.p90_us, predicted.p90_us);
}

TEST(PredictionIntervalTest, NoResidualsNoInterval) {
  const PredictionIntervals intervals = PredictionIntervals::Calibrate({});
  EXPECT_FALSE(intervals.calibrated());
  Prediction p = PredictionOf(100);
  intervals.Apply(p);
  EXPECT_EQ(p.p10_us, 0);
  EXPECT_EQ(p.p90_us, 0);
  EXPECT_FALSE(p.interval_calibrated);
}

TEST(PredictionIntervalTest, ZeroOrMissingLatenciesAreSkipped) {
  std::vector<HeldOutResidual> residuals = {{PredictionOf(0), 10}, {PredictionOf(10), 0}};
  EXPECT_FALSE(PredictionIntervals::Calibrate(residuals).calibrated());
}

TEST(PredictionIntervalTest, SpecEstimatesGetTheAssumedUncalibratedInterval) {
  Prediction p = PredictionOf(10, "", "", "spec-roofline");
  ApplySpecEstimateInterval(p);
  EXPECT_LT(p.p10_us, 10);
  EXPECT_GT(p.p90_us, 10);
  EXPECT_FALSE(p.interval_calibrated);
}

}  // namespace
}  // namespace convlat::model
