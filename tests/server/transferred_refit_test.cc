// The transfer path's core (server/transferred_refit.h) on real data, without the registry's
// threads or a store: the public NeuSight T4's layers as the target, the transfer fitted on the
// public V100 and A100. What each of the three ways below 1,000 layers serves, and that a blended
// own fit's intervals are calibrated once, for the blend, exactly as the two passes gave them.
#include "server/transferred_refit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/gpu_specs.h"
#include "model/datasets/public_datasets.h"
#include "model/latency/samples.h"
#include "model/serving_model.h"
#include "model/transfer/blended_latency_model.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;

class TransferredRefitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<model::TransferSource> sources;
    for (const char* name : {"gpu-v100", "gpu-a100"}) {
      absl::StatusOr<model::RecordedPlatform> recorded =
          model::LoadPublicPlatform(*model::FindPublicPlatform(name),
                                    model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public"), "test");
      if (!recorded.ok()) return;
      model::FillFromGpuSpecTable(recorded->platform);
      absl::StatusOr<model::TransferSpec> spec = model::TransferSpecOf(recorded->platform, "platform");
      if (!spec.ok()) return;
      sources.push_back({.spec = *spec, .samples = model::SamplesFromMeasurements(recorded->measurements)});
    }
    absl::StatusOr<model::TransferModel> fitted = model::TransferModel::Fit(sources);
    if (!fitted.ok()) return;
    transfer_ = new server::SourceTransfer{.model = std::make_shared<const model::TransferModel>(*std::move(fitted))};
  }

  void SetUp() override {
    if (transfer_ == nullptr || T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset << " (or the V100/A100's)";
    described_ = T4Platform("new-t4");
    model::FillFromGpuSpecTable(described_);
    spec_ = *model::TransferSpecOf(described_, "platform");
  }

  // The first `count` T4 layers as the target's own.
  std::vector<v1::Measurement> OwnLayers(size_t count) const {
    const std::vector<v1::Measurement>& t4 = *T4Measurements();
    return {t4.begin(), t4.begin() + static_cast<std::ptrdiff_t>(count)};
  }
  server::TransferTarget Target(const std::vector<v1::Measurement>& measurements) const {
    return {.platform = "new-t4",
            .described = described_,
            .spec = spec_,
            .measurements = measurements,
            .successful = static_cast<int64_t>(measurements.size())};
  }

  static inline server::SourceTransfer* transfer_ = nullptr;
  v1::Platform described_;
  model::TransferSpec spec_;
};

TEST_F(TransferredRefitTest, BelowTwentyFiveLayersTheTransferServesRefinedAndMarked) {
  const std::vector<v1::Measurement> own = OwnLayers(24);
  const std::shared_ptr<server::FittedModel> snapshot = server::RefitWithTransfer(*transfer_, Target(own));
  EXPECT_TRUE(snapshot->transferred);
  EXPECT_EQ(server::ServedPathOf(*snapshot), "the transfer");
  const v1::PlatformModel& info = snapshot->info;
  EXPECT_TRUE(info.transferred());
  EXPECT_EQ(info.model_kind(), "transfer");
  EXPECT_THAT(info.transferred_from(), ElementsAre("gpu-v100", "gpu-a100"));
  EXPECT_EQ(info.transfer_target_layers(), 24);
  EXPECT_EQ(info.sample_count(), 24);
  EXPECT_EQ(info.measurements_seen(), 24);
  EXPECT_EQ(model::TransferDescription(*snapshot->model),
            "transferred from gpu-v100, gpu-a100, refined with 24 layers");
  // Its own layers are not hidden behind the transfer: each is answered as measured.
  EXPECT_EQ(snapshot->measured.size(), 24u);
  EXPECT_DOUBLE_EQ(info.parameters().at("measured.configurations"), 24);
}

TEST_F(TransferredRefitTest, FromTwentyFiveLayersItsOwnFitIsBlendedInAndTheBlendCalibrated) {
  const std::vector<v1::Measurement> own = OwnLayers(25);
  const std::shared_ptr<server::FittedModel> snapshot = server::RefitWithTransfer(*transfer_, Target(own));
  EXPECT_TRUE(snapshot->transferred);
  EXPECT_EQ(server::ServedPathOf(*snapshot), "the transfer blended with its own fit");
  EXPECT_THAT(snapshot->info.model_kind(), EndsWith("+transfer"));
  EXPECT_THAT(model::TransferDescription(*snapshot->model), HasSubstr("fit on 25 layers"));
  EXPECT_TRUE(snapshot->conv_intervals.calibrated());
  EXPECT_EQ(snapshot->measured.size(), 25u);
}

TEST_F(TransferredRefitTest, FromAHundredLayersItsOwnServingFitIsBlendedAndNoLongerMarked) {
  const std::vector<v1::Measurement> own = OwnLayers(100);
  const std::shared_ptr<server::FittedModel> snapshot = server::RefitWithTransfer(*transfer_, Target(own));
  EXPECT_FALSE(snapshot->transferred);
  EXPECT_EQ(server::ServedPathOf(*snapshot), "its own fit blended with the transfer");
  const v1::PlatformModel& info = snapshot->info;
  EXPECT_FALSE(info.transferred());
  EXPECT_THAT(info.model_kind(), EndsWith("+transfer"));
  EXPECT_THAT(info.transferred_from(), ElementsAre("gpu-v100", "gpu-a100"));
  EXPECT_EQ(info.transfer_target_layers(), 100);
  // The rule's share, 100 / (100 + 50) for this transfer (not stacked: no source models), then
  // cross-validated on the 100 layers and shrunk back towards it.
  const double rule = 100.0 / 150.0;
  EXPECT_DOUBLE_EQ(info.parameters().at("blend.rule_own_weight"), rule);
  EXPECT_GE(info.parameters().at("blend.own_weight"), model::kBlendRulePriorLayers * rule / 150.0 - 1e-12);
  EXPECT_LE(info.parameters().at("blend.own_weight"), (100 + model::kBlendRulePriorLayers * rule) / 150.0 + 1e-12);
  EXPECT_THAT(model::TransferDescription(*snapshot->model), HasSubstr("the shares cross-validated"));
  EXPECT_EQ(snapshot->measured.size(), 100u);
  // The in-sample errors GetPlatformModel gives are the served blend's, not the own fit's in it.
  const std::vector<model::Sample> samples = model::SamplesFromMeasurements(own);
  EXPECT_DOUBLE_EQ(info.fit_mape(), model::ErrorsOn(*snapshot->model, samples).mape);
  absl::StatusOr<model::ServingModel> own_fit = model::FitServingModel(own, model::HardwareOf(described_));
  ASSERT_TRUE(own_fit.ok()) << own_fit.status();
  EXPECT_NE(info.fit_mape(), own_fit->conv_fit.mape);
}

// Before, the own serving fit calibrated its intervals (5 fits) and the blend's were calibrated
// again (5 more) over them; now the serving fit calibrates the blend's in its one pass, each fold
// fitting the kind the own fit chose, at the share the served blend was given. Same intervals, to
// the last bit, on 300 real layers.
TEST_F(TransferredRefitTest, ABlendedOwnFitIsCalibratedOnceToTheIntervalsOfTheTwoPasses) {
  const std::vector<v1::Measurement> own = OwnLayers(300);
  const model::HardwareInfo hardware = model::HardwareOf(described_);
  const std::vector<model::Sample> samples = model::SamplesFromMeasurements(own);
  ASSERT_EQ(samples.size(), 300u);
  absl::StatusOr<model::ServingModel> own_fit = model::FitServingModel(own, hardware);
  ASSERT_TRUE(own_fit.ok()) << own_fit.status();
  const model::ConvFitter kind = model::ConvFitterOfKind(own_fit->conv->kind(), hardware);
  const double own_weight = model::ChooseOwnFitWeight(transfer_->model, spec_, samples, kind);
  const model::PredictionIntervals two_passes =
      model::CalibrateConvIntervals(samples, server::BlendedOwnFitter(*transfer_, spec_, kind, own_weight));
  ASSERT_TRUE(two_passes.calibrated());

  const std::shared_ptr<server::FittedModel> snapshot = server::RefitWithTransfer(*transfer_, Target(own));
  const std::map<std::string, double> expected = two_passes.parameters("interval.conv");
  const std::map<std::string, double> served = snapshot->conv_intervals.parameters("interval.conv");
  ASSERT_EQ(served.size(), expected.size());
  for (const auto& [name, value] : expected) {
    ASSERT_TRUE(served.contains(name)) << name;
    EXPECT_NEAR(served.at(name), value, 1e-12) << name;
    EXPECT_NEAR(snapshot->info.parameters().at(name), value, 1e-12) << name;
  }
  // And not the own fit's alone, which the first pass gave and the blend threw away.
  EXPECT_NE(own_fit->conv_intervals.parameters("interval.conv"), expected);
}

}  // namespace
}  // namespace convlat::testing
