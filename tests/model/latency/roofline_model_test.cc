// Unit tests of the fitting code. The samples here are synthetic, generated from known
// coefficients, so the test can check that the fit recovers them; they are not measurements.
#include "model/latency/roofline_model.h"

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/features.h"
#include "tests/support/conv_specs.h"

namespace convlat::model {
namespace {

using ::convlat::testing::SquareConvShape;

std::vector<Sample> SyntheticSamples(double fixed_us, double gflops, double gbps, double noise) {
  std::mt19937 rng(7);
  std::normal_distribution<double> jitter(1.0, noise);
  std::vector<Sample> samples;
  for (int c : {16, 64, 256}) {
    for (int hw : {7, 28, 56}) {
      for (int k : {32, 128, 512}) {
        for (int r : {1, 3}) {
          const ConvShape shape = SquareConvShape(c, hw, k, r);
          const ConvFeatures f = ComputeFeatures(shape);
          const double latency = fixed_us + f.flops / (gflops * 1e3) + f.bytes() / (gbps * 1e3);
          samples.push_back({shape, latency * (noise > 0 ? jitter(rng) : 1.0)});
        }
      }
    }
  }
  return samples;
}

TEST(RooflineModelTest, RecoversSyntheticCoefficientsExactly) {
  auto model = RooflineModel::Fit(SyntheticSamples(12.0, 150.0, 20.0, 0.0));
  ASSERT_TRUE(model.ok()) << model.status();
  const auto params = (*model)->parameters();
  EXPECT_NEAR(params.at("fixed_us"), 12.0, 1e-6);
  EXPECT_NEAR(params.at("throughput_gflops"), 150.0, 1e-6);
  EXPECT_NEAR(params.at("bandwidth_gbps"), 20.0, 1e-6);
}

TEST(RooflineModelTest, NoisySyntheticFitPredictsWithinNoise) {
  const std::vector<Sample> samples = SyntheticSamples(5.0, 80.0, 10.0, 0.03);
  auto model = RooflineModel::Fit(samples);
  ASSERT_TRUE(model.ok());
  for (const Sample& s : samples) {
    EXPECT_NEAR((*model)->Predict(s.shape).latency_us / s.latency_us, 1.0, 0.15);
  }
}

TEST(RooflineModelTest, CoefficientsStayNonNegative) {
  // Latency that falls with bytes would need a negative bandwidth term; the fit must drop it.
  std::vector<Sample> samples = SyntheticSamples(3.0, 100.0, 1e9, 0.0);
  for (Sample& s : samples) s.latency_us = std::max(0.5, s.latency_us - ComputeFeatures(s.shape).bytes() * 1e-6);
  auto model = RooflineModel::Fit(samples);
  ASSERT_TRUE(model.ok());
  for (const auto& [name, value] : (*model)->parameters()) EXPECT_GE(value, 0) << name;
}

TEST(RooflineModelTest, ExplainsItsPrediction) {
  auto model = RooflineModel::Fit(SyntheticSamples(10.0, 100.0, 10.0, 0.0));
  ASSERT_TRUE(model.ok());
  const Prediction p = (*model)->Predict(SquareConvShape(64, 56, 64, 3));
  EXPECT_EQ(p.explanation.model_kind(), "roofline-linear");
  EXPECT_GT(p.explanation.flops(), 0);
  EXPECT_GT(p.explanation.compute_share(), 0);
  EXPECT_LT(p.explanation.compute_share(), 1);
}

TEST(RooflineModelTest, TooFewSamplesIsFailedPrecondition) {
  std::vector<Sample> samples = {{SquareConvShape(8, 8, 8, 3), 10.0}, {SquareConvShape(8, 8, 16, 3), 12.0}};
  EXPECT_EQ(RooflineModel::Fit(samples).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace convlat::model
