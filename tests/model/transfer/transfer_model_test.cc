// The transfer model on synthetic data (planted, named so): latency generated from each GPU's spec
// roofline and its waves of CTAs over its SMs. A model fitted on four such GPUs must predict a
// fifth from its spec alone, and a factor only the fifth has must be learnt from its first layers;
// blended with an own fit, the transfer weighs what its share says.
#include "model/transfer/transfer_model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/features.h"
#include "model/transfer/blended_latency_model.h"
#include "model/transfer/transfer_features.h"
#include "model/transfer/transferred_latency_model.h"
#include "tests/support/function_latency_model.h"
#include "tests/support/synthetic_gpu.h"

namespace convlat::model {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<ConvShape> SyntheticLayers(int count, uint64_t seed) {
  std::mt19937_64 random(seed);
  auto pick = [&random](std::initializer_list<int64_t> values) { return *(values.begin() + random() % values.size()); };
  std::vector<ConvShape> shapes;
  for (int i = 0; i < count; ++i) {
    ConvShape shape;
    shape.n = pick({1, 4, 16, 32});
    shape.c = pick({16, 32, 64, 128, 256, 512});
    shape.k = pick({16, 32, 64, 128, 256, 512});
    shape.h = shape.w = pick({7, 14, 28, 56, 112});
    shape.r = shape.s = pick({1, 3, 5});
    shape.pad_h = shape.pad_w = shape.r / 2;
    shape.stride_h = shape.stride_w = pick({1, 2});
    shapes.push_back(shape);
  }
  return shapes;
}

// The planted law: the spec roofline, slowed by the last partial wave of 128x64 CTAs over the SMs,
// times a factor of the GPU itself (1 for the sources).
double PlantedLatencyUs(const ConvShape& shape, const TransferSpec& gpu, double own_factor = 1) {
  const ConvFeatures f = ComputeFeatures(shape);
  const double waves = std::ceil(f.gemm_m / 128) * std::ceil(f.gemm_n / 64) / gpu.sms;
  return own_factor * SpecRooflineUs(shape, gpu) * 1.6 * std::ceil(waves) / waves;
}

TransferSource SyntheticSource(const TransferSpec& gpu, uint64_t seed, double own_factor = 1) {
  TransferSource source{.spec = gpu};
  for (const ConvShape& shape : SyntheticLayers(1500, seed)) {
    source.samples.push_back(Sample{.shape = shape, .latency_us = PlantedLatencyUs(shape, gpu, own_factor)});
  }
  return source;
}

std::vector<TransferSource> SyntheticSources() {
  return {SyntheticSource(SyntheticGpu("small", 20, 5000, 250), 1),
          SyntheticSource(SyntheticGpu("mid", 40, 8000, 320), 2),
          SyntheticSource(SyntheticGpu("large", 80, 15000, 900), 3),
          SyntheticSource(SyntheticGpu("huge", 108, 19500, 1550), 4)};
}

double Mape(const std::vector<Sample>& samples, const std::function<double(const ConvShape&)>& predict) {
  double sum = 0;
  for (const Sample& s : samples) sum += std::abs(predict(s.shape) - s.latency_us) / s.latency_us;
  return 100 * sum / samples.size();
}

TEST(TransferModelTest, RecoversAPlantedSpecScalingOnSyntheticData) {
  absl::StatusOr<TransferModel> model = TransferModel::Fit(SyntheticSources());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->source_names(), (std::vector<std::string>{"small", "mid", "large", "huge"}));
  const TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  const TransferSource truth = SyntheticSource(target, 99);
  const double zero_shot = Mape(truth.samples, [&](const ConvShape& s) { return model->PredictUs(s, target); });
  EXPECT_LT(zero_shot, 12.0);
}

TEST(TransferModelTest, FewShotLearnsWhatOnlyTheTargetHasOnSyntheticData) {
  absl::StatusOr<TransferModel> model = TransferModel::Fit(SyntheticSources());
  ASSERT_TRUE(model.ok()) << model.status();
  const TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  const TransferSource truth = SyntheticSource(target, 99, /*own_factor=*/1.5);
  const std::vector<Sample> refine(truth.samples.begin(), truth.samples.begin() + 100);
  const std::vector<Sample> test(truth.samples.begin() + 100, truth.samples.end());
  const double zero_shot = Mape(test, [&](const ConvShape& s) { return model->PredictUs(s, target); });
  const FewShotCorrection correction = FitFewShotCorrection(*model, target, refine);
  EXPECT_EQ(correction.layers, 100);
  EXPECT_NEAR(std::exp(correction.offset), 1.5, 0.1);
  const double few_shot =
      Mape(test, [&](const ConvShape& s) { return PredictRefinedUs(*model, target, correction, s); });
  EXPECT_GT(zero_shot, 25.0);
  EXPECT_LT(few_shot, 15.0);
}

// A source's own model that knows its GPU's planted law exactly: the stack's arithmetic, apart
// from any fit's error.
std::unique_ptr<LatencyModel> PlantedLawModel(const TransferSpec& gpu, double own_factor = 1) {
  return std::make_unique<FunctionLatencyModel>("planted", [gpu, own_factor](const ConvShape& shape) {
    return Prediction{.latency_us = PlantedLatencyUs(shape, gpu, own_factor)};
  });
}

// The stacking transfer over the synthetic sources, each source's own model its planted law.
TransferModel StackingTransfer(const std::vector<TransferSource>& sources) {
  TransferOptions options;
  options.source_model = [](const TransferSource& source) -> absl::StatusOr<std::shared_ptr<const LatencyModel>> {
    return std::shared_ptr<const LatencyModel>(PlantedLawModel(source.spec));
  };
  return *TransferModel::Fit(sources, options);
}

// From 10 layers of the target, its latencies as a ridge over the sources' own models' predictions.
// A target that behaves like one source slowed 1.5x (its partial waves are the 40-SM source's) while
// its spec says 56 SMs: the stack leans on the source whose staircase it follows, where the
// feature ridge, working from the spec, counts the waves on 56 SMs.
TEST(TransferModelTest, TheStackFollowsTheSourcesOwnModelsOnSyntheticData) {
  const std::vector<TransferSource> sources = SyntheticSources();
  const TransferModel stacking = StackingTransfer(sources);
  EXPECT_EQ(stacking.source_model_names(), (std::vector<std::string>{"small", "mid", "large", "huge"}));
  absl::StatusOr<TransferModel> plain = TransferModel::Fit(sources);
  ASSERT_TRUE(plain.ok()) << plain.status();

  const TransferSpec target = SyntheticGpu("like-mid", 56, 12000, 600);
  TransferSource truth = SyntheticSource(sources[1].spec, 99, /*own_factor=*/1.5);  // "mid", 40 SMs
  const std::vector<Sample> refine(truth.samples.begin(), truth.samples.begin() + 50);
  const std::vector<Sample> test(truth.samples.begin() + 50, truth.samples.end());
  const FewShotCorrection stacked = FitFewShotCorrection(stacking, target, refine);
  ASSERT_TRUE(stacked.stacked());
  EXPECT_EQ(stacked.stack_weights.size(), 5u);  // four sources and the zero-shot transfer
  const FewShotCorrection ridge = FitFewShotCorrection(*plain, target, refine);
  EXPECT_FALSE(ridge.stacked());
  const double stacked_mape =
      Mape(test, [&](const ConvShape& s) { return PredictRefinedUs(stacking, target, stacked, s); });
  const double ridge_mape = Mape(test, [&](const ConvShape& s) { return PredictRefinedUs(*plain, target, ridge, s); });
  // 8.6 against 14.5 % when written: the ridge spreads some weight over the other sources' laws,
  // which differ from the mid's only in their waves.
  EXPECT_LT(stacked_mape, 10.0);
  EXPECT_LT(stacked_mape, 0.7 * ridge_mape) << "feature ridge " << ridge_mape;
  // Fewer than kStackMinLayers (10): the feature ridge, shrunk as before.
  EXPECT_FALSE(FitFewShotCorrection(stacking, target, {refine.begin(), refine.begin() + 9}).stacked());
  EXPECT_TRUE(FitFewShotCorrection(stacking, target, {refine.begin(), refine.begin() + 10}).stacked());
}

// Four of 50 layers timed 10x too slow (a busy GPU, a clock that dropped): the stack's Huber loss
// lets them pull no harder than a layer 20 % off, so its predictions stay those of the clean fit.
// A least-squares stack moves its intercept by about 4/50 of ln 10, 20 %, on every layer.
TEST(TransferModelTest, AFewSpikesDoNotMoveTheStackOnSyntheticData) {
  const std::vector<TransferSource> sources = SyntheticSources();
  const TransferModel stacking = StackingTransfer(sources);
  const TransferSpec target = SyntheticGpu("like-mid", 56, 12000, 600);
  const TransferSource truth = SyntheticSource(sources[1].spec, 99, /*own_factor=*/1.5);
  const std::vector<Sample> clean(truth.samples.begin(), truth.samples.begin() + 50);
  std::vector<Sample> spiked = clean;
  for (int i : {3, 17, 29, 41}) spiked[i].latency_us *= 10;
  const std::vector<Sample> test(truth.samples.begin() + 50, truth.samples.end());
  const FewShotCorrection clean_fit = FitFewShotCorrection(stacking, target, clean);
  const FewShotCorrection spiked_fit = FitFewShotCorrection(stacking, target, spiked);
  ASSERT_TRUE(spiked_fit.stacked());
  EXPECT_GE(spiked_fit.stack_outliers, 4);
  std::vector<double> moved;
  for (const Sample& s : test) {
    moved.push_back(std::abs(PredictRefinedUs(stacking, target, spiked_fit, s.shape) /
                                 PredictRefinedUs(stacking, target, clean_fit, s.shape) -
                             1));
  }
  std::nth_element(moved.begin(), moved.begin() + moved.size() / 2, moved.end());
  EXPECT_LT(moved[moved.size() / 2], 0.05);
  EXPECT_LT(Mape(test, [&](const ConvShape& s) { return PredictRefinedUs(stacking, target, spiked_fit, s); }), 10.0);
}

TEST(TransferModelTest, ShrinkageKeepsAFewLayersFromMovingTheTransferFar) {
  absl::StatusOr<TransferModel> model = TransferModel::Fit(SyntheticSources());
  ASSERT_TRUE(model.ok()) << model.status();
  const TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  const TransferSource truth = SyntheticSource(target, 99, /*own_factor=*/2.0);
  const FewShotCorrection two =
      FitFewShotCorrection(*model, target, {truth.samples.begin(), truth.samples.begin() + 2});
  const FewShotCorrection many =
      FitFewShotCorrection(*model, target, {truth.samples.begin(), truth.samples.begin() + 500});
  EXPECT_LT(std::exp(two.offset), 1.25);
  EXPECT_GT(std::exp(many.offset), 1.9);
}

// Synthetic sources with a fixed cost under every layer, as a framework's launch adds: no layer
// on the target comes out faster than the fastest any source of its framework timed, however
// far below the sources' sizes it lies.
TEST(TransferModelTest, NoLayerIsFasterThanTheSourcesOfItsFrameworkEverWereOnSyntheticData) {
  std::vector<TransferSource> sources = SyntheticSources();
  double fastest = 1e30;
  for (TransferSource& source : sources) {
    for (Sample& sample : source.samples) {
      sample.latency_us += 40;
      fastest = std::min(fastest, sample.latency_us);
    }
  }
  TransferSource tensorflow = SyntheticSource(SyntheticGpu("tensorflow", 28, 11000, 480), 5);
  tensorflow.spec.tensorflow_runtime = true;
  for (Sample& sample : tensorflow.samples) sample.latency_us += 200;
  sources.push_back(tensorflow);
  absl::StatusOr<TransferModel> model = TransferModel::Fit(sources);
  ASSERT_TRUE(model.ok()) << model.status();

  TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  EXPECT_DOUBLE_EQ(model->FloorUs(target), fastest);
  ConvShape tiny;  // 1x1x1x1: a 2-flop convolution, far below every source's layers
  tiny.n = tiny.c = tiny.k = tiny.h = tiny.w = tiny.r = tiny.s = 1;
  EXPECT_DOUBLE_EQ(model->PredictUs(tiny, target), fastest);
  auto shared = std::make_shared<const TransferModel>(*model);
  EXPECT_THAT(TransferredLatencyModel(shared, target, FewShotCorrection{}).Predict(tiny).explanation.transfer(),
              HasSubstr("; at the floor, the fastest layer the sources timed ("));
  target.tensorflow_runtime = true;
  EXPECT_GT(model->FloorUs(target), 200);
  EXPECT_GE(model->PredictUs(tiny, target), model->FloorUs(target));
}

TEST(TransferModelTest, NoSourceMeasurementsIsAnError) {
  const absl::Status status = TransferModel::Fit({TransferSource{.spec = SyntheticGpu("empty", 4, 100, 10)}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("no source platform"));
}

TEST(TransferredLatencyModelTest, ExplanationsSayTransferredFromWhat) {
  auto model = std::make_shared<const TransferModel>(*TransferModel::Fit(SyntheticSources()));
  const TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  const TransferredLatencyModel zero_shot(model, target, FewShotCorrection{});
  const Prediction p = zero_shot.Predict(SyntheticLayers(1, 5)[0]);
  EXPECT_GT(p.latency_us, 0);
  EXPECT_EQ(p.explanation.model_kind(), "transfer");
  EXPECT_EQ(p.explanation.transfer(), "transferred from small, mid, large, huge (no measurements of this platform)");
  EXPECT_EQ(p.explanation.transferred_from_size(), 4);
  // GetPlatformModel shows what the transfer knows of the target and the least it predicts.
  const std::map<std::string, double> parameters = zero_shot.parameters();
  EXPECT_EQ(parameters.at("transfer.spec.fp32_lanes_per_sm"), 64);
  EXPECT_EQ(parameters.at("transfer.floor_us"), model->FloorUs(target));
  EXPECT_GT(parameters.at("transfer.floor_us"), 0);
  const TransferSource truth = SyntheticSource(target, 99);
  const TransferredLatencyModel refined(model, target, FitFewShotCorrection(*model, target, truth.samples));
  EXPECT_THAT(refined.Predict(SyntheticLayers(1, 5)[0]).explanation.transfer(), HasSubstr("refined with 1500 layers"));
}

TEST(TransferModelTest, LeaveOneSourceOutResidualsAreFiniteOnSyntheticData) {
  TransferOptions options;
  options.held_out_samples_per_source = 300;
  const std::vector<HeldOutSourceResiduals> held_out = LeaveOneSourceOutResiduals(SyntheticSources(), options);
  ASSERT_EQ(held_out.size(), 4u);
  for (const HeldOutSourceResiduals& source : held_out) {
    ASSERT_EQ(source.log_residuals.size(), 300u) << source.spec.name;
    ASSERT_EQ(source.samples.size(), 300u) << source.spec.name;
    ASSERT_EQ(source.trees_us.size(), 300u) << source.spec.name;
    for (size_t i = 0; i < source.log_residuals.size(); ++i) {
      ASSERT_TRUE(std::isfinite(source.log_residuals[i]));
      // The residual is of the trees' prediction kept beside it.
      ASSERT_NEAR(source.log_residuals[i], std::log(source.samples[i].latency_us / source.trees_us[i]), 1e-12);
    }
  }
}

// A target's zero-shot interval is calibrated on the held-out sources timed through its framework,
// and on all of them when none was.
TEST(TransferModelTest, ResidualsLikeTheTargetAreThoseOfItsFramework) {
  TransferSpec pytorch, tensorflow;
  tensorflow.tensorflow_runtime = true;
  const std::vector<HeldOutSourceResiduals> held_out = {
      {.spec = pytorch, .log_residuals = {0.1, 0.2}},
      {.spec = tensorflow, .log_residuals = {-0.3}},
      {.spec = pytorch, .log_residuals = {0.4}},
  };
  EXPECT_THAT(ResidualsLike(held_out, pytorch), ElementsAre(0.1, 0.2, 0.4));
  EXPECT_THAT(ResidualsLike(held_out, tensorflow), ElementsAre(-0.3));
  EXPECT_THAT(ResidualsLike({held_out[0], held_out[2]}, tensorflow), ElementsAre(0.1, 0.2, 0.4));
}

// The platform's own fit, as the blend sees it: a fixed answer with a kernel it names.
std::unique_ptr<LatencyModel> FixedOwnFit() {
  return std::make_unique<FunctionLatencyModel>(
      "fixed",
      [](const ConvShape&) {
        Prediction p{.latency_us = 100};
        p.explanation.set_model_kind("fixed");
        p.explanation.set_kernel("own_kernel");
        return p;
      },
      std::map<std::string, double>{{"fixed.us", 100}});
}

TEST(BlendedLatencyModelTest, OwnFitWeighsNOverNPlusFifty) {
  EXPECT_DOUBLE_EQ(OwnFitWeight(0), 0);
  EXPECT_DOUBLE_EQ(OwnFitWeight(50), 0.5);
  EXPECT_DOUBLE_EQ(OwnFitWeight(450), 0.9);
}

// The own fit's share, cross-validated on the platform's layers and shrunk towards the rule: an
// own fit that knows the target exactly gets all of the cross-validated share, a constant one none.
TEST(BlendedLatencyModelTest, CrossValidationWeighsTheBetterOfTheTwoOnSyntheticData) {
  auto model = std::make_shared<const TransferModel>(*TransferModel::Fit(SyntheticSources()));
  const TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  const TransferSource truth = SyntheticSource(target, 99, /*own_factor=*/1.5);
  const std::vector<Sample> layers(truth.samples.begin(), truth.samples.begin() + 200);
  const double rule = OwnFitWeight(200);
  const ConvFitter exact = [&target](const std::vector<Sample>&) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    return PlantedLawModel(target, 1.5);
  };
  const ConvFitter constant = [](const std::vector<Sample>&) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    return FixedOwnFit();
  };
  // n = 200 held-out layers chose 1 (exact) and 0 (constant); the rule backs its own as 50 would.
  EXPECT_DOUBLE_EQ(CrossValidatedOwnFitWeight(model, target, layers, exact, rule),
                   (200 + kBlendRulePriorLayers * rule) / (200 + kBlendRulePriorLayers));
  EXPECT_DOUBLE_EQ(CrossValidatedOwnFitWeight(model, target, layers, constant, rule),
                   kBlendRulePriorLayers * rule / (200 + kBlendRulePriorLayers));

  // Served so: the blend says its shares were cross-validated, and what the rule would have said.
  EXPECT_DOUBLE_EQ(RuleOwnFitWeight(*model, layers), rule);  // no source models: not stacked
  EXPECT_DOUBLE_EQ(ChooseOwnFitWeight(model, target, layers, exact),
                   (200 + kBlendRulePriorLayers * rule) / (200 + kBlendRulePriorLayers));
  const std::unique_ptr<LatencyModel> blend = TransferredOrBlended(model, target, layers, exact(layers).value(),
                                                                   ChooseOwnFitWeight(model, target, layers, exact));
  const std::map<std::string, double> parameters = blend->parameters();
  EXPECT_DOUBLE_EQ(parameters.at("blend.own_weight"),
                   (200 + kBlendRulePriorLayers * rule) / (200 + kBlendRulePriorLayers));
  EXPECT_DOUBLE_EQ(parameters.at("blend.rule_own_weight"), rule);
  EXPECT_THAT(TransferDescription(*blend),
              AllOf(HasSubstr("96 % the platform's own planted fit on 200 layers, 4 % transferred from small"),
                    HasSubstr("the shares cross-validated on the platform's layers")));
}

TEST(BlendedLatencyModelTest, GeometricBlendKeepsTheOwnExplanationAndSaysTheBlend) {
  auto model = std::make_shared<const TransferModel>(*TransferModel::Fit(SyntheticSources()));
  const TransferSpec target = SyntheticGpu("target", 56, 12000, 600);
  const ConvShape layer = SyntheticLayers(1, 5)[0];
  const double transferred_us = model->PredictUs(layer, target);
  const BlendedLatencyModel blend(FixedOwnFit(),
                                  std::make_unique<TransferredLatencyModel>(model, target, FewShotCorrection{}), 150);
  const Prediction p = blend.Predict(layer);
  EXPECT_NEAR(p.latency_us, std::pow(100.0, 0.75) * std::pow(transferred_us, 0.25), 1e-9 * p.latency_us);
  EXPECT_EQ(p.explanation.kernel(), "own_kernel");
  EXPECT_EQ(p.explanation.model_kind(), "fixed+transfer");
  EXPECT_EQ(p.explanation.transfer(),
            "75 % the platform's own fixed fit on 150 layers, 25 % transferred from small, mid, large, huge");
  EXPECT_EQ(p.explanation.transferred_from_size(), 4);
  EXPECT_EQ(p.explanation.transfer_target_layers(), 150);
  EXPECT_EQ(blend.kind(), "fixed+transfer");
  const std::map<std::string, double> parameters = blend.parameters();
  EXPECT_DOUBLE_EQ(parameters.at("blend.own_weight"), 0.75);
  EXPECT_DOUBLE_EQ(parameters.at("fixed.us"), 100);
  EXPECT_EQ(parameters.count("transfer.sources"), 1u);
  EXPECT_EQ(TransferDescription(blend), p.explanation.transfer());
}

}  // namespace
}  // namespace convlat::model
