// Network prediction with cache state: each layer between its evicted and its hot prediction, at
// the share the residency walk expects cached. The models are real roofline models with chosen
// coefficients (the hot one moves bytes four times faster), not fits of measurements.
#include "model/latency/network_prediction.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/latency/roofline_model.h"
#include "model/layers/op_params.h"
#include "tests/support/conv_specs.h"

namespace convlat::model {
namespace {

using ::convlat::testing::ConvLayer;
using ::convlat::testing::ConvParamsOf;
using ::testing::HasSubstr;

const RooflineModel kEvicted(/*fixed_us=*/5, /*us_per_flop=*/1e-5, /*us_per_byte=*/2e-4);
const RooflineModel kHot(/*fixed_us=*/5, /*us_per_flop=*/1e-5, /*us_per_byte=*/5e-5);

DeviceSpec CpuWithCache(int64_t bytes) {
  DeviceSpec device;
  device.last_level_cache_bytes = bytes;
  return device;
}

// Two small convolutions (under 1 MB of weights): nearly hot in a 32 MB cache.
const std::vector<NetworkLayer> kSmallNetwork = {ConvLayer("n=1,c=32,h=28,w=28,k=64,r=3,s=3,pad=1"),
                                                 ConvLayer("n=1,c=64,h=28,w=28,k=64,r=3,s=3,pad=1")};

TEST(NetworkPredictionCacheTest, ASmallNetworkIsPredictedNearlyHot) {
  const NetworkLatency evicted = PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, CpuWithCache(32'000'000));
  const NetworkLatency hot_only = PredictNetworkLatency(kHot, nullptr, kSmallNetwork, {});
  const NetworkLatency blended =
      PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, CpuWithCache(32'000'000), {.conv = &kHot});
  ASSERT_GT(evicted.total_us, hot_only.total_us);
  EXPECT_LT(blended.total_us, evicted.total_us);
  EXPECT_GE(blended.total_us, hot_only.total_us);
  // More than nine tenths of the way from evicted to hot.
  EXPECT_LT(blended.total_us - hot_only.total_us, 0.1 * (evicted.total_us - hot_only.total_us));
  for (const LayerLatency& layer : blended.layers) {
    EXPECT_THAT(layer.prediction.explanation.cache_state(), HasSubstr("hot 0.9"));
    EXPECT_THAT(layer.prediction.explanation.cache_state(), HasSubstr("evicted "));
  }
  EXPECT_EQ(blended.measured_model_us, blended.total_us);
}

// A 411 MB classifier layer cannot stay in a 32 MB cache between passes: evicted it stays.
TEST(NetworkPredictionCacheTest, ALayerWhoseWeightsCannotStayCachedStaysEvicted) {
  const std::vector<NetworkLayer> layers = {ConvLayer("n=1,c=25088,h=1,w=1,k=4096,r=1,s=1")};
  const NetworkLatency evicted = PredictNetworkLatency(kEvicted, nullptr, layers, CpuWithCache(32'000'000));
  const NetworkLatency blended =
      PredictNetworkLatency(kEvicted, nullptr, layers, CpuWithCache(32'000'000), {.conv = &kHot});
  EXPECT_NEAR(blended.total_us, evicted.total_us, 0.001 * evicted.total_us);
  EXPECT_THAT(blended.layers[0].prediction.explanation.cache_state(), HasSubstr("hot 0.00"));
}

// Only a larger cache moves the same network: the choice follows the cache the platform reports.
TEST(NetworkPredictionCacheTest, ALargerCacheKeepsMoreOfTheNetworkHot) {
  const std::vector<NetworkLayer> layers(6, ConvLayer("n=1,c=256,h=14,w=14,k=256,r=3,s=3,pad=1"));
  const double in_8_mb =
      PredictNetworkLatency(kEvicted, nullptr, layers, CpuWithCache(8'000'000), {.conv = &kHot}).total_us;
  const double in_64_mb =
      PredictNetworkLatency(kEvicted, nullptr, layers, CpuWithCache(64'000'000), {.conv = &kHot}).total_us;
  EXPECT_LT(in_64_mb, in_8_mb);
}

// A platform calibrated to keep a share of the hot gain (per layout) moves its layers that share of
// the way the walk would; other layouts keep all of it.
TEST(NetworkPredictionCacheTest, ThePlatformsCalibratedShareOfTheHotGainIsKeptPerLayout) {
  const NetworkLatency evicted = PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, CpuWithCache(32'000'000));
  const NetworkLatency walk =
      PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, CpuWithCache(32'000'000), {.conv = &kHot});
  DeviceSpec calibrated = CpuWithCache(32'000'000);
  calibrated.hot_gain_kept[v1::LAYOUT_NCHW] = 0.25;
  const NetworkLatency kept_quarter =
      PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, calibrated, {.conv = &kHot});
  EXPECT_NEAR(kept_quarter.total_us, evicted.total_us - 0.25 * (evicted.total_us - walk.total_us),
              1e-9 * evicted.total_us);
  EXPECT_THAT(kept_quarter.layers[0].prediction.explanation.cache_state(),
              HasSubstr("keeps 0.25 of the hot gain (platform calibration)"));

  calibrated.hot_gain_kept = {{v1::LAYOUT_NATIVE, 0.0}};
  EXPECT_DOUBLE_EQ(PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, calibrated, {.conv = &kHot}).total_us,
                   walk.total_us)
      << "these layers are NCHW: the native calibration does not apply";
  EXPECT_THAT(walk.layers[0].prediction.explanation.cache_state(), ::testing::Not(HasSubstr("keeps")));
}

// No hot model or no known cache: the evicted prediction, unchanged, and no cache state claimed.
TEST(NetworkPredictionCacheTest, WithoutHotModelsOrACacheSizeEveryLayerIsEvicted) {
  const NetworkLatency evicted = PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, CpuWithCache(32'000'000));
  const NetworkLatency no_cache = PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, {}, {.conv = &kHot});
  EXPECT_DOUBLE_EQ(no_cache.total_us, evicted.total_us);
  for (const NetworkLatency* network : {&evicted, &no_cache}) {
    for (const LayerLatency& layer : network->layers) EXPECT_TRUE(layer.prediction.explanation.cache_state().empty());
  }
}

// A configuration the platform measured is answered with its measurement, the model's figure kept
// beside it; the other layers still get the model.
TEST(NetworkPredictionMeasuredTest, AMeasuredLayerIsAnsweredWithItsMeasurement) {
  v1::Measurement timed;
  *timed.mutable_params() = ConvParamsOf("n=1,c=64,h=28,w=28,k=64,r=3,s=3,pad=1");
  timed.mutable_latency()->set_median_us(1234);
  timed.mutable_latency()->set_p10_us(1200);
  timed.mutable_latency()->set_p90_us(1300);
  const MeasuredLayers measured = MeasuredLayers::FromMeasurements({timed});
  const NetworkLatency model_only = PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, {});
  const NetworkLatency answered = PredictNetworkLatency(kEvicted, nullptr, kSmallNetwork, {}, {}, &measured);

  const Prediction& first = answered.layers[0].prediction;  // not measured: the model's
  EXPECT_DOUBLE_EQ(first.latency_us, model_only.layers[0].prediction.latency_us);
  EXPECT_FALSE(first.explanation.measured());
  const Prediction& second = answered.layers[1].prediction;
  EXPECT_EQ(second.latency_us, 1234);
  EXPECT_TRUE(second.explanation.measured());
  EXPECT_DOUBLE_EQ(second.explanation.model_us(), model_only.layers[1].prediction.latency_us);
  EXPECT_EQ(second.explanation.model_kind(), model_only.layers[1].prediction.explanation.model_kind());
  EXPECT_EQ(second.p10_us, 1200);
  EXPECT_EQ(second.p90_us, 1300);
  EXPECT_DOUBLE_EQ(answered.total_us, first.latency_us + 1234);
}

// An op measured hot too lies between its own two timings, whatever the op model says; an op with
// no model at all is still answered when it was measured.
TEST(NetworkPredictionMeasuredTest, AMeasuredLayerUsesItsOwnHotTiming) {
  NetworkLayer pool;
  pool.name = "pool";
  pool.op = "AveragePool";
  pool.op_params = *ParseOpSpec("op=avg_pool,n=1,c=192,h=37,w=37,kernel=3");
  NormalizeOpParams(*pool.op_params);
  pool.bytes = 2 * 192 * 37 * 37 * 4;
  v1::Measurement timed;
  *timed.mutable_op() = *pool.op_params;
  timed.mutable_latency()->set_median_us(4000);
  timed.mutable_hot_latency()->set_median_us(2000);
  const MeasuredLayers measured = MeasuredLayers::FromMeasurements({timed});
  const NetworkLatency network =
      PredictNetworkLatency(kEvicted, nullptr, {pool}, CpuWithCache(32'000'000), {.conv = &kHot}, &measured);
  ASSERT_EQ(network.layers.size(), 1u);
  EXPECT_EQ(network.layers[0].source, LatencySource::kMeasuredModel);
  EXPECT_EQ(network.unmodelled, 0);
  const Prediction& answered = network.layers[0].prediction;
  EXPECT_TRUE(answered.explanation.measured());
  EXPECT_GT(answered.latency_us, 2000);
  EXPECT_LT(answered.latency_us, 4000);
  EXPECT_THAT(answered.explanation.cache_state(), HasSubstr("evicted 4000 us, hot 2000 us"));
}

}  // namespace
}  // namespace convlat::model
