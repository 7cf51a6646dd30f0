// The cache-residency walk on small hand-made networks, against a 32 MB last-level cache.
#include "model/residency/cache_residency.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/conv_specs.h"

namespace convlat::model {
namespace {

using ::convlat::testing::ConvLayer;
using ::testing::HasSubstr;

constexpr int64_t kCache = 32'000'000;

NetworkLayer OtherOp(double bytes) {
  NetworkLayer layer;
  layer.op = "Relu";
  layer.bytes = bytes;
  return layer;
}

TEST(CacheResidencyTest, AConvolutionTouchesItsFiltersBiasInputAndOutput) {
  const LayerBytes bytes = BytesOf(ConvLayer("n=1,c=64,h=56,w=56,k=128,r=3,s=3,pad=1,stride=2"));
  EXPECT_DOUBLE_EQ(bytes.weights, 4.0 * (128 * 64 * 9 + 128));
  EXPECT_DOUBLE_EQ(bytes.activations, 4.0 * (64 * 56 * 56 + 128 * 28 * 28));
  // Depthwise: one input channel per filter.
  EXPECT_DOUBLE_EQ(BytesOf(ConvLayer("n=1,c=96,h=112,w=112,k=96,r=3,s=3,pad=1,groups=96")).weights,
                   4.0 * (96 * 9 + 96));
  EXPECT_DOUBLE_EQ(BytesOf(OtherOp(1e6)).weights, 0);
  EXPECT_DOUBLE_EQ(BytesOf(OtherOp(1e6)).activations, 1e6);
}

// Three small layers (weights 0.6 MB, activations under 1 MB each): everything stays cached from
// one pass to the next, so every layer is nearly hot.
TEST(CacheResidencyTest, ASmallNetworkKeepsItsWeightsCached) {
  const std::vector<NetworkLayer> layers = {ConvLayer("n=1,c=32,h=28,w=28,k=64,r=3,s=3,pad=1"), OtherOp(400'000),
                                            ConvLayer("n=1,c=64,h=28,w=28,k=64,r=3,s=3,pad=1")};
  const NetworkResidency residency = EstimateCacheResidency(layers, kCache);
  ASSERT_EQ(residency.layers.size(), 3u);
  EXPECT_NEAR(residency.weight_bytes, 4.0 * (64 * 32 * 9 + 64 + 64 * 64 * 9 + 64), 1);
  EXPECT_LT(residency.footprint_bytes, 2e6);
  for (const LayerResidency& layer : residency.layers) {
    EXPECT_GT(layer.hot_share, 0.9) << layer.description;
    EXPECT_THAT(layer.description, HasSubstr("hot 0.9"));
  }
  EXPECT_GT(residency.layers[0].weights_cached, 0.9);
  EXPECT_EQ(residency.layers[1].weights_cached, 0);  // an op has no weights
}

// VGG-like classifier weights (411 MB, then 67 MB) are gone from a 32 MB cache by the time the
// next pass comes back to them: those layers stay evicted, while a small activation-only op in the
// same network is still nearly hot.
TEST(CacheResidencyTest, WeightsOfANetworkFarLargerThanTheCacheAreEvicted) {
  const std::vector<NetworkLayer> layers = {ConvLayer("n=1,c=25088,h=1,w=1,k=4096,r=1,s=1"), OtherOp(32'768),
                                            ConvLayer("n=1,c=4096,h=1,w=1,k=4096,r=1,s=1")};
  const NetworkResidency residency = EstimateCacheResidency(layers, kCache);
  EXPECT_GT(residency.footprint_bytes, 400e6);
  EXPECT_LT(residency.layers[0].weights_cached, 1e-5);
  EXPECT_LT(residency.layers[0].hot_share, 0.01);
  EXPECT_LT(residency.layers[2].hot_share, 0.01);
  EXPECT_GT(residency.layers[1].hot_share, 0.99);
  EXPECT_THAT(residency.layers[0].description, HasSubstr("weights 0 % cached"));
}

// The same layer finds less of its weights cached in a network that moves more per pass.
TEST(CacheResidencyTest, TheLargerTheNetworkTheLessOfALayersWeightsStaysCached) {
  const NetworkLayer layer = ConvLayer("n=1,c=256,h=14,w=14,k=256,r=3,s=3,pad=1");  // 2.4 MB of weights
  std::vector<NetworkLayer> small = {layer}, large(8, layer);
  const double alone = EstimateCacheResidency(small, kCache).layers[0].weights_cached;
  const double among_eight = EstimateCacheResidency(large, kCache).layers[0].weights_cached;
  EXPECT_GT(alone, among_eight);
  EXPECT_GT(among_eight, 0.4);  // 19 MB per pass: still more than half of a 32 MB cache
  EXPECT_LT(among_eight, 0.6);
}

// Activations alone decide an op: a 4 MB one is mostly cached, a 100 MB one is not.
TEST(CacheResidencyTest, LargeActivationsDoNotStayCached) {
  const NetworkResidency residency = EstimateCacheResidency({OtherOp(4e6), OtherOp(100e6)}, kCache);
  EXPECT_GT(residency.layers[0].activations_cached, 0.85);
  EXPECT_LT(residency.layers[1].activations_cached, 0.05);
}

TEST(CacheResidencyTest, AnUnknownCacheLeavesEveryLayerEvicted) {
  const NetworkResidency residency = EstimateCacheResidency({ConvLayer("n=1,c=8,h=8,w=8,k=8,r=1,s=1")}, 0);
  EXPECT_EQ(residency.layers[0].hot_share, 0);
  EXPECT_THAT(residency.layers[0].description, HasSubstr("unknown"));
}

}  // namespace
}  // namespace convlat::model
