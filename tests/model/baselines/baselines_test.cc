#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "model/baselines/flops_linear_model.h"
#include "model/baselines/nearest_neighbour_model.h"
#include "model/baselines/xgboost_model.h"
#include "model/eval/model_zoo.h"

namespace convlat::model {
namespace {

// Synthetic layers whose latency is proportional to FLOPs (a unit test of the fitting code).
std::vector<Sample> FlopsProportional() {
  std::vector<Sample> samples;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> channels(8, 256), size(7, 56);
  for (int i = 0; i < 200; ++i) {
    Sample s;
    s.shape.c = channels(rng), s.shape.k = channels(rng), s.shape.h = s.shape.w = size(rng);
    s.shape.r = s.shape.s = 3, s.shape.pad_h = s.shape.pad_w = 1;
    s.latency_us = 2 + 1e-6 * 2.0 * s.shape.c * s.shape.k * 9 * s.shape.h * s.shape.w;
    samples.push_back(s);
  }
  return samples;
}

TEST(BaselinesTest, FlopsLinearRecoversAFlopsProportionalPlatform) {
  const std::vector<Sample> samples = FlopsProportional();
  absl::StatusOr<std::unique_ptr<FlopsLinearModel>> model = FlopsLinearModel::Fit(samples);
  ASSERT_TRUE(model.ok());
  for (const Sample& s : samples) EXPECT_NEAR((*model)->Predict(s.shape).latency_us, s.latency_us, 1e-6 * s.latency_us);
}

TEST(BaselinesTest, NearestNeighbourIsExactOnItsTable) {
  const std::vector<Sample> samples = FlopsProportional();
  absl::StatusOr<std::unique_ptr<NearestNeighbourModel>> model = NearestNeighbourModel::Fit(samples);
  ASSERT_TRUE(model.ok());
  EXPECT_NEAR((*model)->Predict(samples[7].shape).latency_us, samples[7].latency_us, 1e-9 * samples[7].latency_us);
}

TEST(BaselinesTest, TreeEnsemblesLearnTheTrend) {
  const std::vector<Sample> samples = FlopsProportional();
  for (TreeEnsemble ensemble : {TreeEnsemble::kGradientBoosted, TreeEnsemble::kRandomForest}) {
    absl::StatusOr<std::unique_ptr<XgboostModel>> model = XgboostModel::Fit(samples, ensemble);
    ASSERT_TRUE(model.ok()) << model.status();
    double error = 0;
    for (const Sample& s : samples) error += std::abs((*model)->Predict(s.shape).latency_us / s.latency_us - 1);
    EXPECT_LT(error / samples.size(), 0.15) << (*model)->kind();
  }
}

TEST(BaselinesTest, ModelZooNamesEveryModelAndRejectsUnknownOnes) {
  EXPECT_EQ(AllModelFitters().size(), 6u);
  absl::StatusOr<std::vector<ModelFitter>> two = ModelFittersNamed("two-mode,roofline");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  absl::StatusOr<std::vector<ModelFitter>> bad = ModelFittersNamed("two-mode,magic");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("magic"), absl::string_view::npos);
}

}  // namespace
}  // namespace convlat::model
