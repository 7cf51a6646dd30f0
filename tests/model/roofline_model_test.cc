// Unit tests of the fitting code. The samples here are synthetic, generated from known
// coefficients, so the test can check that the fit recovers them; they are not measurements.
#include "model/roofline_model.h"

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/conv_spec.h"
#include "model/features.h"

namespace convlat::model {
namespace {

ConvShape Shape(int c, int hw, int k, int r) {
  v1::ConvParams p;
  p.set_n(1); p.set_c(c); p.set_h(hw); p.set_w(hw); p.set_k(k); p.set_r(r); p.set_s(r);
  p.set_pad_h(r / 2); p.set_pad_w(r / 2);
  return ResolveConvShape(p);
}

std::vector<Sample> SyntheticSamples(double fixed_us, double gflops, double gbps, double noise) {
  std::mt19937 rng(7);
  std::normal_distribution<double> jitter(1.0, noise);
  std::vector<Sample> samples;
  for (int c : {16, 64, 256}) {
    for (int hw : {7, 28, 56}) {
      for (int k : {32, 128, 512}) {
        for (int r : {1, 3}) {
          const ConvShape shape = Shape(c, hw, k, r);
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
  const Prediction p = (*model)->Predict(Shape(64, 56, 64, 3));
  EXPECT_EQ(p.explanation.model_kind(), "roofline-linear");
  EXPECT_GT(p.explanation.flops(), 0);
  EXPECT_GT(p.explanation.compute_share(), 0);
  EXPECT_LT(p.explanation.compute_share(), 1);
}

TEST(RooflineModelTest, TooFewSamplesIsFailedPrecondition) {
  std::vector<Sample> samples = {{Shape(8, 8, 8, 3), 10.0}, {Shape(8, 8, 16, 3), 12.0}};
  EXPECT_EQ(RooflineModel::Fit(samples).status().code(), absl::StatusCode::kFailedPrecondition);
}

// The serving choice: the two-mode model only where it predicts held-out layers at least as well
// as the roofline. Synthetic layers made by a roofline: the line wins.
TEST(LatencyModelTest, ServesTheRooflineWhereTheTwoModeModelDoesWorseOnHeldOutLayers) {
  const std::vector<Sample> samples = SyntheticSamples(5.0, 200.0, 20.0, 0.0);
  absl::StatusOr<std::unique_ptr<LatencyModel>> served = FitLatencyModel(samples);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->kind(), "roofline-linear");
}

// Synthetic layers on a 16-wide out-channel staircase, which no line follows: the two-mode wins.
TEST(LatencyModelTest, ServesTheTwoModeModelWhereItHoldsUp) {
  std::vector<Sample> samples;
  for (int k = 4; k <= 256; k += 4) {
    const ConvShape shape = Shape(32, 16, k, 3);
    samples.push_back({shape, 3 + 0.5 * ((k + 15) / 16)});
  }
  absl::StatusOr<std::unique_ptr<LatencyModel>> served = FitLatencyModel(samples);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->kind(), "two-mode");
}

TEST(LatencyModelTest, SkipsFailedMeasurements) {
  std::vector<v1::Measurement> measurements(3);
  for (auto& m : measurements) {
    *m.mutable_params() = *ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
    m.mutable_latency()->set_median_us(5);
  }
  measurements[1].set_failed(true);
  measurements[2].mutable_latency()->set_median_us(0);
  EXPECT_EQ(SamplesFromMeasurements(measurements).size(), 1u);
}

TEST(LatencyModelTest, KeepsTheFastestAlgorithmOfEachLayer) {
  // `--algo all` records every algorithm of a layer; the model learns the one a framework would run.
  auto measured = [](const char* spec, double median_us, const char* kernel) {
    v1::Measurement m;
    *m.mutable_params() = *ParseConvSpec(spec);
    m.mutable_latency()->set_median_us(median_us);
    m.add_kernels()->set_name(kernel);
    return m;
  };
  const std::vector<v1::Measurement> measurements = {
      measured("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 9, "slow_a"),
      measured("n=1,c=8,h=8,w=8,k=16,r=3,s=3", 4, "other_layer"),
      measured("n=1,c=8,h=8,w=8,k=8,r=3,s=3,stride=1", 3, "fast"),  // same layer, spelled differently
      measured("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 7, "slow_b"),
  };
  const std::vector<Sample> samples = SamplesFromMeasurements(measurements);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].latency_us, 3);
  EXPECT_EQ(samples[0].kernel, "fast");
  EXPECT_EQ(samples[1].kernel, "other_layer");
}

}  // namespace
}  // namespace convlat::model
