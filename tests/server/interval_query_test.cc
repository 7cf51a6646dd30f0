// Prediction intervals through the query core functions: protos in, no channel; a real SQLite
// store and models fitted on real measurements (this repository's CPU, convolutions and ops; the
// public T4, which has no op measurements).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"
#include "server/layer_query.h"
#include "server/network_query.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

using IntervalQueryTest = ServerCoreTest;

void ExpectAroundPrediction(const v1::LayerPrediction& p) {
  EXPECT_GT(p.p10_us(), 0);
  EXPECT_LE(p.p10_us(), p.latency_us());
  EXPECT_LE(p.latency_us(), p.p90_us());
  EXPECT_LT(p.p10_us(), p.p90_us());
}

TEST_F(IntervalQueryTest, EveryMeasuredLayerGetsACalibratedIntervalAroundItsPrediction) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictRequest request;
  request.set_platform("cpu");
  *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  *request.add_any_layers()->mutable_op() = Op("op=max_pool,n=1,c=64,h=56,w=56,kernel=2,stride=2");
  *request.add_any_layers()->mutable_conv() = Conv("n=1,c=128,h=28,w=28,k=128,r=1,s=1");
  v1::PredictResponse response;
  ASSERT_TRUE(server::PredictLayers(core(), request, response).ok());
  ASSERT_EQ(response.predictions_size(), 3);
  for (const v1::LayerPrediction& p : response.predictions()) {
    ExpectAroundPrediction(p);
    EXPECT_TRUE(p.interval_calibrated());
  }
  // The calibration is published: GetPlatformModel's parameters and the metrics.
  const auto& parameters = models_->Get("cpu")->info.parameters();
  EXPECT_GT(parameters.at("interval.conv.residuals"), 0);
  EXPECT_GT(parameters.at("interval.op.residuals"), 0);
  EXPECT_LT(parameters.at("interval.conv.p10_ratio"), parameters.at("interval.conv.p90_ratio"));
  EXPECT_THAT(prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()),
              HasSubstr("convlat_model_interval_ratio{bound=\"p90\",model=\"conv\",platform=\"cpu\"}"));
}

TEST_F(IntervalQueryTest, ANetworksIntervalIsTheSumOfItsLayersBounds) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictNetworkRequest request;
  request.set_platform("cpu");
  request.set_onnx_model(ResNet18Onnx());
  v1::PredictNetworkResponse response;
  ASSERT_TRUE(server::AnswerNetwork(core(), request, "", response).ok());
  double p10 = 0, p90 = 0;
  int extrapolated = 0;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    ExpectAroundPrediction(layer.prediction());
    p10 += layer.prediction().p10_us();
    p90 += layer.prediction().p90_us();
    extrapolated += !layer.prediction().explanation().extrapolation().empty();
  }
  EXPECT_NEAR(response.total_p10_us(), p10, 1e-6 * p10);
  EXPECT_NEAR(response.total_p90_us(), p90, 1e-6 * p90);
  EXPECT_LT(response.total_p10_us(), response.total_us());
  EXPECT_GT(response.total_p90_us(), response.total_us());
  // Every op of ResNet-18 was measured on this CPU, but its staircase sweeps are 3x3 and 1x1 at
  // stride 1: the 7x7 stride-2 stem and the strided layers are extrapolations, with assumed bounds.
  EXPECT_GT(extrapolated, 0);
  EXPECT_FALSE(response.interval_calibrated());
}

TEST_F(IntervalQueryTest, SpecEstimatedOpsMakeTheTotalsIntervalUncalibrated) {
  ASSERT_NO_FATAL_FAILURE(FitT4());
  v1::PredictNetworkRequest request;
  request.set_platform("t4");
  request.set_onnx_model(ResNet18Onnx());
  v1::PredictNetworkResponse response;
  ASSERT_TRUE(server::AnswerNetwork(core(), request, "", response).ok());
  int spec = 0, extrapolated = 0;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    ExpectAroundPrediction(layer.prediction());
    const bool estimated = layer.prediction().explanation().model_kind() == "spec-roofline";
    // The public T4 layers are all 3x3 stride 1: ResNet-18's 7x7 stem, strided and 1x1 layers lie
    // outside them, so their intervals are assumed too (model/interval/training_domain.h).
    const bool outside = !layer.prediction().explanation().extrapolation().empty();
    spec += estimated;
    extrapolated += outside;
    EXPECT_EQ(layer.prediction().interval_calibrated(), !estimated && !outside) << layer.name();
  }
  EXPECT_GT(spec, 0);
  EXPECT_GT(extrapolated, 0);
  EXPECT_THAT(prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()),
              HasSubstr(absl::StrCat("convlat_extrapolated_predictions_total{platform=\"t4\"} ", extrapolated)));
  EXPECT_FALSE(response.interval_calibrated());
  EXPECT_LT(response.total_p10_us(), response.total_us());
  EXPECT_GT(response.total_p90_us(), response.total_us());
}

}  // namespace
}  // namespace convlat::testing
