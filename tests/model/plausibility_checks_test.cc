// The checks every fit passes before it is served. Real measurements (this repository's CPU
// sweeps) must pass them; the implausible models are made by hand (a RooflineModel with the
// coefficients given) or fitted to real layers whose latencies this test disturbs (SYNTHETIC, as
// named where it happens).
#include "model/plausibility_checks.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/measurements_csv.h"
#include "model/latency/roofline_model.h"
#include "model/serving_model.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

std::vector<v1::Measurement> CpuSweep(const std::string& file) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/" + file;
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> measurements = ParseMeasurementsCsv(in, path, "test");
  EXPECT_TRUE(measurements.ok()) << measurements.status();
  return measurements.ok() ? *measurements : std::vector<v1::Measurement>{};
}

// Real data: every model fitted to the CPU's sweeps is served, nothing rejected.
TEST(PlausibilityChecksTest, RealSweepsPassEveryCheck) {
  for (const char* file : {"default-sweep.csv", "native-default-sweep.csv", "staircase.csv", "native-staircase.csv"}) {
    absl::StatusOr<ServingModel> serving = FitServingModel(CpuSweep(file), {.compute_units = 2});
    ASSERT_TRUE(serving.ok()) << file << ": " << serving.status();
    for (const RejectedFit& rejected : serving->rejected) {
      ADD_FAILURE() << file << ": " << rejected.model << " rejected: " << rejected.reason;
    }
  }
}

TEST(PlausibilityChecksTest, AFixedCostAboveTheSlowestLayerIsRejected) {
  const std::vector<Sample> samples = SamplesFromMeasurements(CpuSweep("staircase.csv"));
  ASSERT_FALSE(samples.empty());
  double slowest = 0;
  for (const Sample& sample : samples) slowest = std::max(slowest, sample.latency_us);
  const RooflineModel model(2 * slowest, 1e-6, 1e-4);  // made by hand: a half-built or corrupted fit
  std::optional<Implausibility> wrong = CheckConvModel(model, samples);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->check, "fixed_above_slowest_layer");
  EXPECT_THAT(wrong->reason, HasSubstr("above the slowest"));
}

TEST(PlausibilityChecksTest, NoSizeTermWithALargeFixedCostIsRejected) {
  const std::vector<Sample> samples = SamplesFromMeasurements(CpuSweep("staircase.csv"));
  double fastest = 1e300;
  for (const Sample& sample : samples) fastest = std::min(fastest, sample.latency_us);
  std::optional<Implausibility> wrong = CheckConvModel(RooflineModel(5 * fastest, 0, 0), samples);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->check, "no_size_term");
  // A size term makes it another matter (caught, if at all, by another check).
  const std::optional<Implausibility> with_size_term = CheckConvModel(RooflineModel(5 * fastest, 1e-7, 0), samples);
  EXPECT_TRUE(!with_size_term || with_size_term->check != "no_size_term");
}

TEST(PlausibilityChecksTest, PredictionsFarOutsideTheMeasuredRangeAreRejected) {
  const std::vector<Sample> samples = SamplesFromMeasurements(CpuSweep("staircase.csv"));
  // 1 µs per MFLOP-ish would be right; 1000x that is not.
  std::optional<Implausibility> wrong = CheckConvModel(RooflineModel(0, 1e-3, 0), samples);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->check, "outside_training_range");
  // A model predicting nothing (all zero coefficients: a fit that never ran) is caught too.
  wrong = CheckConvModel(RooflineModel(0, 0, 0), samples);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->check, "outside_training_range");
}

// SYNTHETIC disturbance of real layers: every sigmoid of the CPU's default sweep timed as if
// another job held the cores, about 5.3 ms whatever its size (issue 14: fixed_us 5296.68, no
// bandwidth; EfficientNet-B3's 104 sigmoids took 551 of 654 ms). The sigmoid fit is consistent
// with its own (disturbed) data; the platform's other activations show it wrong.
std::vector<v1::Measurement> WithDisturbedSigmoids(std::vector<v1::Measurement> measurements) {
  int i = 0;
  for (v1::Measurement& m : measurements) {
    if (!m.has_op() || m.op().function() != "sigmoid") continue;
    m.mutable_latency()->set_median_us(5296.68 * (1 + 0.01 * (i++ % 5)));
  }
  return measurements;
}

TEST(PlausibilityChecksTest, ASigmoidFitOfDisturbedLayersGivesWayToTheActivations) {
  const std::vector<v1::Measurement> measurements = WithDisturbedSigmoids(CpuSweep("default-sweep.csv"));
  absl::StatusOr<ServingModel> serving = FitServingModel(measurements, {.compute_units = 2});
  ASSERT_TRUE(serving.ok()) << serving.status();
  ASSERT_TRUE(serving->ops.has_value()) << serving->op_fit_error;
  ASSERT_EQ(serving->rejected.size(), 1u);
  const RejectedFit& rejected = serving->rejected[0];
  EXPECT_EQ(rejected.model, "op.activation:sigmoid@nchw");
  EXPECT_EQ(rejected.check, "disagrees_with_broader_fit");
  EXPECT_EQ(rejected.fallback, "op.activation@nchw");
  // A squeeze-excitation sigmoid (1x1 spatial) is predicted from the activations' fit, in
  // microseconds, not at 5.3 ms.
  v1::OpParams sigmoid;
  sigmoid.set_kind(v1::OP_KIND_ACTIVATION);
  sigmoid.set_function("sigmoid");
  sigmoid.set_n(1);
  sigmoid.set_c(20);
  sigmoid.set_h(1);
  sigmoid.set_w(1);
  const Prediction prediction = serving->ops->Predict(sigmoid);
  EXPECT_EQ(prediction.explanation.model_kind(), "op-roofline (activation@nchw)");
  EXPECT_LT(prediction.latency_us, 100);
}

}  // namespace
}  // namespace convlat::model
