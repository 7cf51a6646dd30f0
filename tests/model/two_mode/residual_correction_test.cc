// The residual correction on top of the staircases: kept when the fit's own held-out check finds
// that it helps, skipped otherwise.
#include "model/two_mode/residual_correction.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "model/fit/error_metrics.h"
#include "model/two_mode/two_mode_model.h"
#include "model/two_mode/work_quantization.h"

namespace convlat::model {
namespace {

// Synthetic 3x3 layers on one 64x64-tile staircase (a fitting unit test), times `effect(shape)`,
// times log-normal noise of `noise` (σ of the log).
template <typename Effect>
std::vector<Sample> OnAStaircase(int n, uint64_t seed, double noise, Effect effect) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::normal_distribution<double> log_noise(0, noise);
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.shape.n = pick(1, 8), s.shape.c = 16 * pick(1, 16), s.shape.h = s.shape.w = pick(7, 56);
    s.shape.k = 16 * pick(1, 32), s.shape.r = s.shape.s = 3, s.shape.pad_h = s.shape.pad_w = 1;
    const double waves = static_cast<double>(Waves(ImplicitGemmCtas(s.shape, 64, 64), 40));
    s.latency_us = (6 + 0.003 * s.shape.c * 9 * waves) * effect(s.shape) * std::exp(log_noise(rng));
    samples.push_back(s);
  }
  return samples;
}

double MapeOf(const LatencyModel& model, const std::vector<Sample>& samples) {
  std::vector<double> predicted, measured;
  for (const Sample& s : samples)
    predicted.push_back(model.Predict(s.shape).latency_us), measured.push_back(s.latency_us);
  return SummarizeErrors(predicted, measured).mape;
}

constexpr HardwareInfo kTenSms{.compute_units = 10};

TEST(ResidualCorrectionTest, SyntheticNoiseOnlyResidualsAreNotCorrected) {
  const std::vector<Sample> train = OnAStaircase(1000, 1, 0.1, [](const ConvShape&) { return 1.0; });
  absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, kTenSms);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_FALSE((*model)->correction().has_value());
  EXPECT_EQ((*model)->Predict(train[0].shape).explanation.correction(), 0);
  EXPECT_EQ((*model)->parameters().at("correction_trees"), 0);
}

TEST(ResidualCorrectionTest, SyntheticEffectTheStaircaseMissesIsCorrected) {
  // Batch-1 layers 40 % slower: nothing in the staircase's terms says so.
  auto batch_one = [](const ConvShape& s) { return s.n == 1 ? 1.4 : 1.0; };
  const std::vector<Sample> train = OnAStaircase(1000, 2, 0.02, batch_one);
  const std::vector<Sample> test = OnAStaircase(300, 3, 0.02, batch_one);
  absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, kTenSms);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE((*model)->correction().has_value());
  const ResidualCorrection::Check& check = (*model)->correction()->check();
  EXPECT_LT(check.mape_with, 0.5 * check.mape_without);
  EXPECT_LT(MapeOf(**model, test), 5.0);
  for (const Sample& s : test) {
    if (s.shape.n != 1) continue;
    const Prediction p = (*model)->Predict(s.shape);
    EXPECT_GT(p.explanation.correction(), 1.1);  // the staircase's own prediction is too low there
    EXPECT_GT(p.explanation.ctas(), 0);          // and still explains the rest
    break;
  }
}

TEST(ResidualCorrectionTest, FewLayersAreNeverCorrected) {
  auto batch_one = [](const ConvShape& s) { return s.n == 1 ? 1.4 : 1.0; };
  const std::vector<Sample> train =
      OnAStaircase(static_cast<int>(ResidualCorrection::kMinSamples) - 1, 4, 0.02, batch_one);
  absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, kTenSms);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_FALSE((*model)->correction().has_value());
}

}  // namespace
}  // namespace convlat::model
