#include "model/interval/network_interval.h"

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

LayerLatency Layer(double us, LatencySource source, const std::string& kind) {
  LayerLatency layer;
  layer.prediction.latency_us = us;
  layer.prediction.explanation.set_model_kind(kind);
  layer.source = source;
  return layer;
}

// Synthetic residuals (not measurements): every prediction 10 % low or high, so the ratios are
// known: of 100 residuals at ±log(1.1), rank 10 is the low one and rank 91 the high one.
PredictionIntervals Calibrated(const std::string& kind) {
  std::vector<HeldOutResidual> residuals;
  for (int i = 0; i < 100; ++i) {
    HeldOutResidual r;
    r.prediction.latency_us = 100;
    r.prediction.explanation.set_model_kind(kind);
    r.measured_us = i < 50 ? 100 / 1.1 : 110;
    residuals.push_back(r);
  }
  return PredictionIntervals::Calibrate(residuals);
}

TEST(NetworkIntervalTest, TotalsAreSumsOfTheLayersBoundsOverTheLayersInTheTotal) {
  std::vector<NetworkLayer> layers(4);
  layers[0].conv = v1::ConvParams();
  NetworkLatency network;
  network.layers = {Layer(100, LatencySource::kMeasuredModel, "two-mode"),
                    Layer(10, LatencySource::kMeasuredModel, "op-roofline (all ops)"),
                    Layer(4, LatencySource::kSpecEstimate, "spec-roofline"),
                    Layer(0, LatencySource::kNotModelled, "not-modelled")};
  const NetworkInterval total =
      AttachIntervals(layers, Calibrated("two-mode"), Calibrated("op-roofline (all ops)"), network);
  EXPECT_NEAR(network.layers[0].prediction.p10_us, 100 / 1.1, 1e-9);
  EXPECT_NEAR(network.layers[0].prediction.p90_us, 110, 1e-9);
  EXPECT_NEAR(network.layers[1].prediction.p90_us, 11, 1e-9);
  EXPECT_FALSE(network.layers[2].prediction.interval_calibrated);
  EXPECT_EQ(network.layers[3].prediction.p90_us, 0);
  double p10 = 0, p90 = 0;
  for (const LayerLatency& layer : network.layers) {
    p10 += layer.prediction.p10_us;
    p90 += layer.prediction.p90_us;
  }
  EXPECT_DOUBLE_EQ(total.p10_us, p10);
  EXPECT_DOUBLE_EQ(total.p90_us, p90);
  EXPECT_FALSE(total.calibrated) << "a spec-roofline layer's bounds are assumed";
}

TEST(NetworkIntervalTest, AllMeasuredLayersMakeACalibratedTotal) {
  std::vector<NetworkLayer> layers(2);
  layers[0].conv = v1::ConvParams();
  layers[1].conv = v1::ConvParams();
  NetworkLatency network;
  network.layers = {Layer(100, LatencySource::kMeasuredModel, "two-mode"),
                    Layer(50, LatencySource::kMeasuredModel, "two-mode")};
  const NetworkInterval total = AttachIntervals(layers, Calibrated("two-mode"), PredictionIntervals(), network);
  EXPECT_TRUE(total.calibrated);
  EXPECT_NEAR(total.p90_us, 165, 1e-9);
  EXPECT_LE(total.p10_us, 150);
}

}  // namespace
}  // namespace convlat::model
