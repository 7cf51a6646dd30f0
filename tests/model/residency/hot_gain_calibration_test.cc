// Fitting the share of their hot gain a platform's layers keep inside networks. The networks and
// timings are synthetic, for this test only: each "measured" total is made from a chosen factor,
// so the fit must find it.
#include "model/residency/hot_gain_calibration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

// Three layers whose hot timings are well under their evicted ones, the walk expecting each
// partly cached; `measured_us` is what the network took.
CalibrationNetwork Network(const std::string& name, double scale, double measured_us) {
  return {.name = name,
          .layers = {{.evicted_us = 100 * scale, .hot_us = 40 * scale, .hot_share = 0.8},
                     {.evicted_us = 300 * scale, .hot_us = 200 * scale, .hot_share = 0.5},
                     {.evicted_us = 50 * scale, .hot_us = 45 * scale, .hot_share = 0.2}},
          .measured_us = measured_us};
}

// What the network takes when its layers keep `kept` of their hot gain.
double MadeWith(const CalibrationNetwork& network, double kept) {
  double total = 0;
  for (const CalibrationLayer& layer : network.layers)
    total += InNetworkUs(layer.evicted_us, layer.hot_us, layer.hot_share, kept);
  return total;
}

TEST(InNetworkUsTest, LiesBetweenEvictedAndTheWalksPull) {
  EXPECT_DOUBLE_EQ(InNetworkUs(100, 40, 0.5, 0), 100);
  EXPECT_DOUBLE_EQ(InNetworkUs(100, 40, 0.5, 1), 70);
  EXPECT_DOUBLE_EQ(InNetworkUs(100, 40, 0.5, 0.5), 85);
}

TEST(FitHotGainKeptTest, FindsTheFactorTheNetworksWereMadeWith) {
  for (double kept : {0.0, 0.3, 1.0}) {
    CalibrationNetwork a = Network("a", 1, 0);
    CalibrationNetwork b = Network("b", 7, 0);
    a.measured_us = MadeWith(a, kept);
    b.measured_us = MadeWith(b, kept);
    absl::StatusOr<HotGainFit> fit = FitHotGainKept({a, b});
    ASSERT_TRUE(fit.ok()) << fit.status();
    EXPECT_NEAR(fit->kept, kept, 1e-9);
    ASSERT_EQ(fit->networks.size(), 2u);
    EXPECT_NEAR(fit->networks[1].fitted_us, b.measured_us, 1e-6);
    EXPECT_DOUBLE_EQ(fit->networks[1].evicted_us, 7 * 450);
    EXPECT_DOUBLE_EQ(fit->networks[1].walk_us, MadeWith(b, 1));
  }
}

TEST(FitHotGainKeptTest, NetworksSlowerThanEvictedClampAtZeroAndSaySo) {
  CalibrationNetwork slow = Network("slow", 1, 500);  // 450 us evicted
  absl::StatusOr<HotGainFit> fit = FitHotGainKept({slow});
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_DOUBLE_EQ(fit->kept, 0);
  EXPECT_LT(fit->unclamped, 0);
  EXPECT_DOUBLE_EQ(fit->networks[0].fitted_us, 450);
}

TEST(FitHotGainKeptTest, NetworksFasterThanTheWholePullClampAtOne) {
  CalibrationNetwork fast = Network("fast", 1, 300);
  absl::StatusOr<HotGainFit> fit = FitHotGainKept({fast});
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_DOUBLE_EQ(fit->kept, 1);
  EXPECT_GT(fit->unclamped, 1);
}

TEST(FitHotGainKeptTest, NothingToFitIsAnErrorNamingWhy) {
  CalibrationNetwork uncached = Network("uncached", 1, 450);
  for (CalibrationLayer& layer : uncached.layers) layer.hot_share = 0;
  absl::StatusOr<HotGainFit> fit = FitHotGainKept({uncached});
  EXPECT_EQ(fit.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(fit.status().message(), HasSubstr("no hot gain to calibrate"));

  // Hot timings slower than evicted (a busy machine): no gain to fit, not a negative factor.
  CalibrationNetwork busy = Network("busy", 1, 30);
  for (CalibrationLayer& layer : busy.layers) layer.hot_us = 2 * layer.evicted_us;
  EXPECT_EQ(FitHotGainKept({busy}).status().code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(FitHotGainKept({}).status().code(), absl::StatusCode::kInvalidArgument);
  CalibrationNetwork empty{.name = "empty"};
  absl::StatusOr<HotGainFit> no_layers = FitHotGainKept({empty});
  EXPECT_EQ(no_layers.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_layers.status().message(), HasSubstr("'empty'"));
}

}  // namespace
}  // namespace convlat::model
