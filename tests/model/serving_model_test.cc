// Unit tests of the serving choice. The samples here are synthetic, made by a known formula, so
// the test knows which model should win; they are not measurements.
#include "model/serving_model.h"

#include <algorithm>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/measurements_csv.h"
#include "model/datasets/public_datasets.h"
#include "model/interval/interval_calibration.h"
#include "model/latency/roofline_model.h"
#include "model/layers/features.h"
#include "model/two_mode/two_mode_model.h"
#include "tests/support/conv_specs.h"

namespace convlat::model {
namespace {

using ::convlat::testing::SquareConvShape;

// The serving choice: the two-mode model only where it predicts held-out layers at least as well
// as the roofline. Synthetic layers made by a roofline: the line wins.
TEST(ServingModelTest, ServesTheRooflineWhereTheTwoModeModelDoesWorseOnHeldOutLayers) {
  std::vector<Sample> samples;
  for (int c : {16, 64, 256}) {
    for (int k : {32, 128, 512}) {
      for (int r : {1, 3}) {
        const ConvShape shape = SquareConvShape(c, 28, k, r);
        const ConvFeatures f = ComputeFeatures(shape);
        samples.push_back({shape, 5.0 + f.flops / 200e3 + f.bytes() / 20e3});
      }
    }
  }
  absl::StatusOr<std::unique_ptr<LatencyModel>> served = FitLatencyModel(samples);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->kind(), "roofline-linear");
}

// Synthetic layers on a 16-wide out-channel staircase, which no line follows: the two-mode wins.
TEST(ServingModelTest, ServesTheTwoModeModelWhereItHoldsUp) {
  std::vector<Sample> samples;
  for (int k = 4; k <= 256; k += 4) {
    const ConvShape shape = SquareConvShape(32, 16, k, 3);
    samples.push_back({shape, 3 + 0.5 * ((k + 15) / 16)});
  }
  absl::StatusOr<std::unique_ptr<LatencyModel>> served = FitLatencyModel(samples);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->kind(), "two-mode");
}

// PredictParts is Predict's numbers without its strings (the transfer's rule and stack run it): on
// the public T4, the served two-mode model with its residual correction, inside its training domain
// and outside (1x1 and strided layers, which the T4 never timed).
TEST(ServingModelTest, PredictPartsAreThePredictionsNumbers) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  absl::StatusOr<RecordedPlatform> t4 = LoadPublicPlatform(*FindPublicPlatform("gpu-t4"), dir, "test");
  ASSERT_TRUE(t4.ok()) << t4.status();
  const std::vector<Sample> samples = SamplesFromMeasurements(t4->measurements);
  absl::StatusOr<std::unique_ptr<LatencyModel>> served = FitLatencyModel(samples, HardwareOf(t4->platform));
  ASSERT_TRUE(served.ok()) << served.status();
  ASSERT_EQ((*served)->kind(), "two-mode");
  ASSERT_GT((*served)->parameters().at("correction_trees"), 0);
  std::vector<ConvShape> shapes = {SquareConvShape(64, 56, 64, 1), SquareConvShape(3, 224, 64, 7)};
  shapes.back().stride_h = shapes.back().stride_w = 2;
  for (size_t i = 0; i < samples.size(); i += 25) shapes.push_back(samples[i].shape);
  for (const ConvShape& shape : shapes) {
    const Prediction prediction = (*served)->Predict(shape);
    const LatencyParts parts = (*served)->PredictParts(shape);
    EXPECT_EQ(parts.latency_us, prediction.latency_us);
    EXPECT_EQ(parts.compute_share, prediction.explanation.compute_share());
    EXPECT_EQ(parts.memory_share, prediction.explanation.memory_share());
  }
}

// Real measurements (this repository's CPU default sweep: convolutions and ops): both models.
TEST(ServingModelTest, FitsTheConvolutionAndTheOpModelOfAPlatform) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/default-sweep.csv";
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> measurements = ParseMeasurementsCsv(in, path, "test");
  ASSERT_TRUE(measurements.ok()) << measurements.status();
  absl::StatusOr<ServingModel> serving = FitServingModel(*measurements, {.compute_units = 2});
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_EQ(serving->conv_samples, static_cast<int64_t>(SamplesFromMeasurements(*measurements).size()));
  EXPECT_GT(serving->conv_fit.mape, 0);
  ASSERT_TRUE(serving->ops.has_value()) << serving->op_fit_error;
  EXPECT_EQ(serving->op_samples, static_cast<int64_t>(OpSamplesFromMeasurements(*measurements).size()));
  EXPECT_GT(serving->op_fit_mape, 0);
}

// What the caller serves (the blend with a transfer, in the server) calibrates the conv intervals
// when it says so, on the same folds; a fitter that fits nothing leaves the own fit's intervals.
TEST(ServingModelTest, TheCallersConvFitterCalibratesTheIntervalsWhenGiven) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/default-sweep.csv";
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> measurements = ParseMeasurementsCsv(in, path, "test");
  ASSERT_TRUE(measurements.ok()) << measurements.status();
  // A roofline on the training layers as they are (weights reset: the noisy ones the serving fit
  // leaves out count here, so the comparison below does not depend on which are noisy).
  const ConvFitter roofline = [](std::vector<Sample> train) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    for (Sample& sample : train) sample.weight = 1;
    absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(train);
    if (!model.ok()) return model.status();
    return std::unique_ptr<LatencyModel>(*std::move(model));
  };
  const HardwareInfo hardware{.compute_units = 2};
  absl::StatusOr<ServingModel> given =
      FitServingModel(*measurements, hardware, [&](const ConvFitter&) { return roofline; });
  ASSERT_TRUE(given.ok()) << given.status();
  const PredictionIntervals expected = CalibrateConvIntervals(SamplesFromMeasurements(*measurements), roofline);
  ASSERT_TRUE(expected.calibrated());
  EXPECT_EQ(given->conv_intervals.parameters("c"), expected.parameters("c"));

  absl::StatusOr<ServingModel> own = FitServingModel(*measurements, hardware);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_NE(own->conv_intervals.parameters("c"), expected.parameters("c"));
  const ConvFitter fits_nothing = [](const std::vector<Sample>&) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    return absl::FailedPreconditionError("no fit");
  };
  absl::StatusOr<ServingModel> fallback =
      FitServingModel(*measurements, hardware, [&](const ConvFitter&) { return fits_nothing; });
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ(fallback->conv_intervals.parameters("c"), own->conv_intervals.parameters("c"));
}

// Real measurements the agent timed both ways (the layers of the validation networks, both
// layouts): hot conv and op models beside the evicted ones. Measurements timed evicted only (the
// default sweep above, GPU data) leave them out.
TEST(ServingModelTest, FitsHotModelsWhereTheAgentTimedLayersHotToo) {
  std::vector<v1::Measurement> measurements;
  for (const char* file : {"networks.csv", "native-networks.csv"}) {
    const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/" + file;
    std::ifstream in(path);
    absl::StatusOr<std::vector<v1::Measurement>> read = ParseMeasurementsCsv(in, path, "test");
    ASSERT_TRUE(read.ok()) << read.status();
    measurements.insert(measurements.end(), read->begin(), read->end());
  }
  absl::StatusOr<ServingModel> serving = FitServingModel(measurements, {.compute_units = 2});
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_EQ(serving->hot_samples, static_cast<int64_t>(HotTimingsOf(measurements).size()));
  EXPECT_GT(serving->hot_samples, 0);
  ASSERT_NE(serving->hot_conv, nullptr);
  ASSERT_TRUE(serving->hot_ops.has_value());
  const ConvShape layer = SquareConvShape(64, 56, 64, 3);
  EXPECT_GT(serving->hot_conv->Predict(layer).latency_us, 0);

  std::vector<v1::Measurement> evicted_only = measurements;
  for (v1::Measurement& m : evicted_only) m.clear_hot_latency();
  absl::StatusOr<ServingModel> without = FitServingModel(evicted_only, {.compute_units = 2});
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->hot_conv, nullptr);
  EXPECT_FALSE(without->hot_ops.has_value());
  EXPECT_EQ(without->hot_samples, 0);
}

TEST(ServingModelTest, NoConvolutionsIsFailedPreconditionEvenWithOps) {
  std::vector<v1::Measurement> measurements(8);
  for (int i = 0; i < 8; ++i) {
    v1::OpParams& op = *measurements[i].mutable_op();
    op.set_kind(v1::OP_KIND_ACTIVATION);
    op.set_function("relu");
    op.set_n(1);
    op.set_c(16 << i);
    op.set_h(8);
    op.set_w(8);
    measurements[i].mutable_latency()->set_median_us(1 + i);
  }
  EXPECT_EQ(FitServingModel(measurements).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Below kCrossValidateUpTo layers the choice holds out every fold in turn, and the intervals are
// calibrated on those same held-out predictions: no fit of their own, and the same quantiles as
// calibrating the served kind from scratch. Real measurements: this repository's CPU default
// sweep, its first 800 measurements (convolutions and ops).
TEST(ServingModelTest, BelowAThousandLayersTheChoicesFoldsCalibrateTheIntervals) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/default-sweep.csv";
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> measurements = ParseMeasurementsCsv(in, path, "test");
  ASSERT_TRUE(measurements.ok()) << measurements.status();
  measurements->resize(std::min<size_t>(measurements->size(), 800));
  const HardwareInfo hardware{.compute_units = 2};
  const std::vector<Sample> samples = SamplesFromMeasurements(*measurements);
  ASSERT_LE(samples.size(), kCrossValidateUpTo);
  absl::StatusOr<ServingModel> serving = FitServingModel(*measurements, hardware);
  ASSERT_TRUE(serving.ok()) << serving.status();
  ASSERT_EQ(serving->conv->kind(), "two-mode");
  const PredictionIntervals from_scratch = CalibrateConvIntervals(
      samples, [&](const std::vector<Sample>& train) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
        absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, hardware);
        if (!model.ok()) return model.status();
        return std::unique_ptr<LatencyModel>(std::move(*model));
      });
  ASSERT_TRUE(from_scratch.calibrated());
  EXPECT_EQ(serving->conv_intervals.parameters("conv"), from_scratch.parameters("conv"));
  EXPECT_EQ(serving->conv_intervals.pooled()->residuals, static_cast<int>(samples.size()));
}

}  // namespace
}  // namespace convlat::model
