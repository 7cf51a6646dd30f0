// Latent kernel groups: without kernel names, the two-mode model splits the layers by the
// parameters that drive the library's algorithm choice, each group with its own staircase.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "model/fit/error_metrics.h"
#include "model/two_mode/two_mode_model.h"
#include "model/two_mode/work_quantization.h"

namespace convlat::model {
namespace {

constexpr int kSms = 10;

// Synthetic layers (a fitting unit test): pointwise ones run a 128x64-tile kernel, 20 CTAs at a
// time, costing per wave; 3x3 ones a 64x32-tile kernel, 40 at a time, costing per wave and
// reduction step. Every sample carries the same algorithm name and no grid, as TensorFlow's do.
std::vector<Sample> TwoPlantedRegimes(int per_regime, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<Sample> samples;
  for (int i = 0; i < 2 * per_regime; ++i) {
    Sample s;
    s.kernel = "tf1:conv2d";
    const bool pointwise = i % 2 == 0;
    s.shape.n = pick(1, 8), s.shape.c = 16 * pick(1, 16), s.shape.h = s.shape.w = pick(7, 56);
    s.shape.k = 16 * pick(1, 32);
    s.shape.r = s.shape.s = pointwise ? 1 : 3;
    s.shape.pad_h = s.shape.pad_w = pointwise ? 0 : 1;
    if (pointwise) {
      s.latency_us = 5 + 1.5 * static_cast<double>(Waves(ImplicitGemmCtas(s.shape, 128, 64), 20));
    } else {
      const double steps = static_cast<double>(s.shape.c * 9);
      s.latency_us = 8 + 0.004 * steps * static_cast<double>(Waves(ImplicitGemmCtas(s.shape, 64, 32), 40));
    }
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

TEST(LatentKernelGroupsTest, SyntheticTwoPlantedRegimesAreRecoveredWithoutNames) {
  const std::vector<Sample> train = TwoPlantedRegimes(150, 1), test = TwoPlantedRegimes(50, 2);
  absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, {.compute_units = kSms});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->latent_groups());
  EXPECT_EQ((*model)->kernel_groups(), 3u);  // platform-wide, pointwise, 3x3
  EXPECT_LT(MapeOf(**model, test), 3.0);

  // One pooled staircase, as before latent groups, cannot follow both regimes.
  std::vector<const Sample*> all;
  for (const Sample& s : train) all.push_back(&s);
  std::optional<KernelCostModel> pooled = KernelCostModel::Fit(all, {.compute_units = kSms});
  ASSERT_TRUE(pooled.has_value());
  std::vector<double> predicted, measured;
  for (const Sample& s : test)
    predicted.push_back(pooled->Evaluate(s.shape).total_us()), measured.push_back(s.latency_us);
  EXPECT_GT(SummarizeErrors(predicted, measured).mape, 3 * MapeOf(**model, test));

  const Prediction pointwise = (*model)->Predict(test[0].shape);
  EXPECT_EQ(pointwise.explanation.kernel_family(), "latent kernel group 1 (no kernel names recorded)");
  EXPECT_GT(pointwise.explanation.ctas(), 0);
  EXPECT_GT(pointwise.explanation.waves(), 0);
  EXPECT_FALSE(pointwise.explanation.tile().empty());
  EXPECT_EQ((*model)->Predict(test[1].shape).explanation.kernel_family(),
            "latent kernel group 3 (no kernel names recorded)");
}

TEST(LatentKernelGroupsTest, RecordedKernelNamesAreUsedAsTheyAre) {
  std::vector<Sample> train = TwoPlantedRegimes(150, 3);
  for (Sample& s : train) s.kernel = s.shape.r == 1 ? "sgemm_128x64_nn" : "implicit_gemm_64x32";
  absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, {.compute_units = kSms});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_FALSE((*model)->latent_groups());
  EXPECT_EQ((*model)->PredictKernel(train[0].shape), "sgemm_128x64_nn");
}

TEST(LatentKernelGroupsTest, GroupsFollowTheParametersThatDriveTheAlgorithmChoice) {
  ConvShape s;
  s.c = s.k = 64, s.h = s.w = 28;
  EXPECT_EQ(LatentKernelGroup(s), 1);
  s.stride_h = s.stride_w = 2;
  EXPECT_EQ(LatentKernelGroup(s), 2);
  s.r = s.s = 3;
  EXPECT_EQ(LatentKernelGroup(s), 6);
  s.stride_h = s.stride_w = 1;
  EXPECT_EQ(LatentKernelGroup(s), 3);
  s.groups = 64;
  EXPECT_EQ(LatentKernelGroup(s), 4);
  s.groups = 1, s.r = s.s = 5;
  EXPECT_EQ(LatentKernelGroup(s), 5);
}

}  // namespace
}  // namespace convlat::model
