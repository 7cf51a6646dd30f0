// Unit tests of calibrating intervals on held-out folds. The samples are synthetic: a known
// roofline with log-normal noise, so the coverage of fresh synthetic draws is known to be 80 %;
// they are not measurements.
#include "model/interval/interval_calibration.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "model/latency/roofline_model.h"
#include "model/layers/conv_spec.h"
#include "model/layers/features.h"

namespace convlat::model {
namespace {

std::vector<Sample> SyntheticNoisyRoofline(int count, double sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  std::uniform_int_distribution<int> channels(8, 512), size(7, 112), kernel(0, 2);
  std::vector<Sample> samples;
  for (int i = 0; i < count; ++i) {
    v1::ConvParams p;
    p.set_n(1);
    p.set_c(channels(rng));
    p.set_k(channels(rng));
    p.set_h(size(rng));
    p.set_w(p.h());
    const int r = 1 + 2 * kernel(rng);
    p.set_r(r);
    p.set_s(r);
    p.set_pad_h(r / 2);
    p.set_pad_w(r / 2);
    const ConvShape shape = ResolveConvShape(p);
    const ConvFeatures f = ComputeFeatures(shape);
    const double latency = 8.0 + f.flops / 200e3 + f.bytes() / 30e3;
    samples.push_back({shape, latency * std::exp(noise(rng))});
  }
  return samples;
}

absl::StatusOr<std::unique_ptr<LatencyModel>> FitRoofline(const std::vector<Sample>& train) {
  absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(train);
  if (!model.ok()) return model.status();
  return std::unique_ptr<LatencyModel>(std::move(*model));
}

TEST(IntervalCalibrationTest, SmallSetsHoldOutEverySampleOnce) {
  EXPECT_EQ(HeldOutConvResiduals(SyntheticNoisyRoofline(300, 0.1, 1), FitRoofline).size(), 300u);
}

TEST(IntervalCalibrationTest, LargeSetsHoldOutOneFifth) {
  const size_t n = kCrossValidateUpTo + 500;
  EXPECT_EQ(HeldOutConvResiduals(SyntheticNoisyRoofline(n, 0.1, 1), FitRoofline).size(), n / kCalibrationFolds);
}

TEST(IntervalCalibrationTest, SyntheticNoiseIntervalsCoverEightyPercentOfNewLayers) {
  for (int count : {50, 400, 3000}) {
    const PredictionIntervals intervals = CalibrateConvIntervals(SyntheticNoisyRoofline(count, 0.15, 1), FitRoofline);
    ASSERT_TRUE(intervals.calibrated()) << count;
    absl::StatusOr<std::unique_ptr<LatencyModel>> served = FitRoofline(SyntheticNoisyRoofline(count, 0.15, 1));
    ASSERT_TRUE(served.ok());
    const std::vector<Sample> fresh = SyntheticNoisyRoofline(5000, 0.15, 99);
    int inside = 0;
    for (const Sample& s : fresh) {
      Prediction p = (*served)->Predict(s.shape);
      intervals.Apply(p);
      ASSERT_LE(p.p10_us, p.p90_us);
      inside += s.latency_us >= p.p10_us && s.latency_us <= p.p90_us;
    }
    const double coverage = static_cast<double>(inside) / fresh.size();
    EXPECT_GT(coverage, 0.72) << count << " training layers";
    EXPECT_LT(coverage, 0.90) << count << " training layers";
  }
}

TEST(IntervalCalibrationTest, TooFewSamplesGiveNoInterval) {
  EXPECT_FALSE(CalibrateConvIntervals(SyntheticNoisyRoofline(3, 0.1, 1), FitRoofline).calibrated());
}

}  // namespace
}  // namespace convlat::model
