// Platforms nobody profiled, through the core functions over a real SQLite store: registered from
// their spec alone, served the transfer model fitted on the other GPUs' real measurements (the
// public T4 and V100), marked transferred, until their own measurements take over.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "model/datasets/gpu_specs.h"
#include "model/datasets/public_datasets.h"
#include "model/transfer/blended_latency_model.h"
#include "prometheus/text_serializer.h"
#include "server/builtin_platforms.h"
#include "server/layer_query.h"
#include "server/measurement_ingest.h"
#include "server/network_query.h"
#include "server/platform_query.h"
#include "server/platform_registration.h"
#include "tests/profiler_agent/delivery/log_capture.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class TransferQueryTest : public ServerCoreTest {
 protected:
  absl::Status RegisterSpecOnly(v1::Platform platform) {
    platform.set_spec_only(true);
    v1::RegisterPlatformRequest request;
    *request.mutable_platform() = std::move(platform);
    v1::RegisterPlatformResponse response;
    return server::RegisterPlatform(*store_, request, response);
  }

  // A Tesla T4 described in full, as a user would register one nobody has profiled.
  static v1::Platform NewT4(const std::string& name) {
    v1::Platform platform = T4Platform(name);
    model::FillFromGpuSpecTable(platform);
    return platform;
  }

  v1::PredictResponse Predict(const std::string& platform) {
    v1::PredictRequest request;
    request.set_platform(platform);
    *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
    v1::PredictResponse response;
    const absl::Status status = server::PredictLayers(core(), request, response);
    EXPECT_TRUE(status.ok()) << status;
    return response;
  }

  std::map<std::string, double> DescribedParameters(const std::string& platform) {
    v1::GetPlatformModelRequest request;
    request.set_platform(platform);
    v1::PlatformModel described;
    EXPECT_TRUE(server::DescribePlatformModel(core(), request, described).ok());
    return {described.parameters().begin(), described.parameters().end()};
  }

  // "31 % the platform's own ": how the explanation spells an own-fit share.
  static std::string SharesOf(double own_weight) {
    return absl::StrFormat("%.0f %% the platform's own ", 100 * own_weight);
  }

  // With `layers` of its own, the blend's own-fit share is cross-validated and then shrunk towards
  // the rule n / (n + 200) as if kBlendRulePriorLayers layers had backed the rule: it lies between
  // what a cross-validated 0 and 1 would leave.
  static void ExpectCrossValidatedShare(const std::map<std::string, double>& parameters, double layers) {
    const double rule = layers / (layers + model::kStackedTransferWorthLayers);
    EXPECT_DOUBLE_EQ(parameters.at("blend.rule_own_weight"), rule);
    const double prior = model::kBlendRulePriorLayers;
    EXPECT_GE(parameters.at("blend.own_weight"), prior * rule / (layers + prior) - 1e-12);
    EXPECT_LE(parameters.at("blend.own_weight"), (layers + prior * rule) / (layers + prior) + 1e-12);
  }
};

TEST_F(TransferQueryTest, ASpecOnlyPlatformIsTransferredUntilItsOwnLayersTakeOver) {
  StoreT4AndV100AsSources();
  if (IsSkipped()) return;
  ASSERT_TRUE(RegisterSpecOnly(NewT4("new-gpu")).ok());
  ASSERT_TRUE(models_->Refit("new-gpu").ok()) << models_->LastFitError("new-gpu");

  const v1::PredictResponse transferred = Predict("new-gpu");
  ASSERT_EQ(transferred.predictions_size(), 1);
  const v1::LayerPrediction& p = transferred.predictions(0);
  EXPECT_TRUE(p.transferred());
  EXPECT_GT(p.latency_us(), 0);
  EXPECT_EQ(p.explanation().model_kind(), "transfer");
  EXPECT_THAT(p.explanation().transfer(),
              StartsWith("transferred from gpu-t4, gpu-v100 (no measurements of this platform)"));
  // Both sources are Volta/Turing GPUs timed through PyTorch, like the target: held out, each one
  // judged Habitat's rule from the other (model/transfer/internal/scaled_sources.h).
  EXPECT_THAT(p.explanation().transfer(), HasSubstr("Habitat's rule"));
  // Two sources: each held out once, so the interval comes from leave-one-GPU-out residuals.
  EXPECT_TRUE(p.interval_from_transfer());
  EXPECT_LT(p.p10_us(), p.latency_us());
  EXPECT_GT(p.p90_us(), p.latency_us());
  EXPECT_EQ(p.explanation().extrapolation(), "") << "a 3x3 stride-1 layer, as the sources measured";

  v1::ListPlatformsResponse list;
  ASSERT_TRUE(server::ListPlatformSummaries(core(), list).ok());
  for (const v1::PlatformSummary& summary : list.platforms()) {
    EXPECT_EQ(summary.transferred(), summary.platform().name() == "new-gpu") << summary.platform().name();
  }
  EXPECT_THAT(prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()),
              HasSubstr("convlat_transferred_predictions_total{platform=\"new-gpu\"} 1"));
  // The sources measured 3x3 stride-1 layers only: a strided 7x7 one is transferred from nothing
  // like it, and says so, with the assumed interval.
  v1::PredictRequest stem;
  stem.set_platform("new-gpu");
  *stem.add_layers() = Conv("n=1,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3");
  v1::PredictResponse stem_response;
  ASSERT_TRUE(server::PredictLayers(core(), stem, stem_response).ok());
  EXPECT_THAT(stem_response.predictions(0).explanation().extrapolation(),
              AllOf(HasSubstr("filter 7x7 (measured: 3x3)"), HasSubstr("stride 2x2 (measured: 1x1)")));
  EXPECT_FALSE(stem_response.predictions(0).interval_calibrated());
  EXPECT_TRUE(stem_response.predictions(0).transferred());

  // 50 layers of its own: still transferred, the transfer stacked over the sources' own models on
  // them and blended with the platform's own fit on them, at a share cross-validated on them.
  const std::vector<v1::Measurement>& t4 = *T4Measurements();
  StoreAndFit("new-gpu", std::vector<v1::Measurement>(t4.begin(), t4.begin() + 50));
  const v1::LayerPrediction refined = Predict("new-gpu").predictions(0);
  EXPECT_TRUE(refined.transferred());
  // The blend's interval: its own held-out residuals on those 50 layers, not the transfer's.
  EXPECT_FALSE(refined.interval_from_transfer());
  EXPECT_TRUE(refined.interval_calibrated());
  EXPECT_LT(refined.p10_us(), refined.latency_us());
  EXPECT_GT(refined.p90_us(), refined.latency_us());
  EXPECT_THAT(refined.explanation().model_kind(), EndsWith("+transfer"));
  EXPECT_THAT(refined.explanation().transfer(),
              AllOf(ContainsRegex("[0-9]+ % the platform's own two-mode fit on 50 layers, [0-9]+ % transferred from "
                                  "gpu-t4, gpu-v100 \\(stacked over their own models\\); the shares cross-validated"),
                    HasSubstr(SharesOf(DescribedParameters("new-gpu").at("blend.own_weight")))));
  ExpectCrossValidatedShare(DescribedParameters("new-gpu"), 50);
  EXPECT_EQ(refined.explanation().transfer_target_layers(), 50);
  // One of those 50, asked again: answered with its own measurement, not transferred.
  v1::PredictRequest again;
  again.set_platform("new-gpu");
  *again.add_layers() = t4.front().params();
  v1::PredictResponse measured;
  ASSERT_TRUE(server::PredictLayers(core(), again, measured).ok());
  ASSERT_EQ(measured.predictions_size(), 1);
  EXPECT_TRUE(measured.predictions(0).explanation().measured());
  EXPECT_FALSE(measured.predictions(0).transferred());
  EXPECT_EQ(measured.predictions(0).latency_us(), t4.front().latency().median_us());
  EXPECT_GT(measured.predictions(0).explanation().model_us(), 0);

  // Enough of its own for its own fit: the flag flips, the transfer still weighs in, and its
  // intervals are the platform's own.
  v1::MeasurementBatch more = Batch("more", "new-gpu", t4, 50, 400);
  ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, more).code(), 0);
  models_->WaitUntilIdle();
  const v1::LayerPrediction own = Predict("new-gpu").predictions(0);
  EXPECT_FALSE(own.transferred());
  EXPECT_FALSE(own.interval_from_transfer());
  EXPECT_THAT(own.explanation().model_kind(), EndsWith("+transfer"));
  v1::GetPlatformModelRequest model_request;
  model_request.set_platform("new-gpu");
  v1::PlatformModel described;
  ASSERT_TRUE(server::DescribePlatformModel(core(), model_request, described).ok());
  EXPECT_THAT(own.explanation().transfer(), HasSubstr(SharesOf(described.parameters().at("blend.own_weight"))));
  ExpectCrossValidatedShare(DescribedParameters("new-gpu"), 450);
  EXPECT_TRUE(described.parameters().contains("transfer.stack_weight.gpu-v100"));
  EXPECT_THAT(described.transferred_from(), ElementsAre("gpu-t4", "gpu-v100"));
  EXPECT_EQ(described.transfer_target_layers(), 450);
  EXPECT_FALSE(described.transferred());

  // From 1,000 layers on, its own fit alone.
  v1::MeasurementBatch many = Batch("many", "new-gpu", t4, 450, 700);
  ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, many).code(), 0);
  models_->WaitUntilIdle();
  const v1::LayerPrediction alone = Predict("new-gpu").predictions(0);
  EXPECT_FALSE(alone.transferred());
  EXPECT_EQ(alone.explanation().model_kind().find("transfer"), std::string::npos);
  EXPECT_TRUE(alone.explanation().transfer().empty());
}

TEST_F(TransferQueryTest, ANetworkOnATransferredPlatformIsMarkedInEveryLayer) {
  StoreT4AndV100AsSources();
  if (IsSkipped()) return;
  ASSERT_TRUE(RegisterSpecOnly(NewT4("new-gpu")).ok());
  ASSERT_TRUE(models_->Refit("new-gpu").ok()) << models_->LastFitError("new-gpu");
  v1::PredictNetworkRequest request;
  request.set_platform("new-gpu");
  request.set_onnx_model(ResNet18Onnx());
  v1::PredictNetworkResponse response;
  ASSERT_TRUE(server::AnswerNetwork(core(), request, "", response).ok());
  EXPECT_TRUE(response.transferred());
  EXPECT_GT(response.total_us(), 0);
  EXPECT_LT(response.total_p10_us(), response.total_us());
  EXPECT_GT(response.total_p90_us(), response.total_us());
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    EXPECT_TRUE(layer.prediction().transferred()) << layer.name();
    EXPECT_FALSE(layer.prediction().explanation().transfer().empty()) << layer.name();
  }
  EXPECT_THAT(response.notes(), ::testing::Contains(HasSubstr("transferred estimate: transferred from gpu-t4")));
  v1::GetPlatformModelRequest model_request;
  model_request.set_platform("new-gpu");
  v1::PlatformModel model;
  ASSERT_TRUE(server::DescribePlatformModel(core(), model_request, model).ok());
  EXPECT_TRUE(model.transferred());
  EXPECT_EQ(model.model_kind(), "transfer");
  EXPECT_EQ(model.transferred_from_size(), 2);
  EXPECT_EQ(model.transfer_target_layers(), 0);
}

TEST_F(TransferQueryTest, WithoutSourcesASpecOnlyPlatformSaysWhatIsMissing) {
  ASSERT_TRUE(RegisterSpecOnly(NewT4("lonely")).ok());
  EXPECT_EQ(models_->Refit("lonely").code(), absl::StatusCode::kFailedPrecondition);
  v1::PredictRequest request;
  request.set_platform("lonely");
  *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  v1::PredictResponse response;
  const absl::Status status = server::PredictLayers(core(), request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("no GPU platform to transfer from"));
}

// Which of the four ways serves a platform is in the refit's log line, for whoever reads the log
// after a model changed.
TEST_F(TransferQueryTest, EachRefitLogsWhichWayThePlatformIsServed) {
  StoreT4AndV100AsSources();
  if (IsSkipped()) return;
  ASSERT_TRUE(RegisterSpecOnly(NewT4("new-gpu")).ok());
  LogCapture log;
  ASSERT_TRUE(models_->Refit("new-gpu").ok()) << models_->LastFitError("new-gpu");
  EXPECT_THAT(log.text(), HasSubstr("[info] platform 'new-gpu': serving the transfer: transfer on 0 samples"));
  const std::vector<v1::Measurement>& t4 = *T4Measurements();
  StoreAndFit("new-gpu", std::vector<v1::Measurement>(t4.begin(), t4.begin() + 50));
  EXPECT_THAT(log.text(), HasSubstr("platform 'new-gpu': serving the transfer blended with its own fit: "));
  EXPECT_THAT(log.text(), ContainsRegex("fit on 50 layers, [0-9]+ % transferred from gpu-t4, gpu-v100"));
  ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, Batch("more", "new-gpu", t4, 50, 50)).code(), 0);
  models_->WaitUntilIdle();
  EXPECT_THAT(log.text(), HasSubstr("platform 'new-gpu': serving its own fit blended with the transfer: "));
  EXPECT_THAT(log.text(), ContainsRegex("fit on 100 layers, [0-9]+ % transferred from gpu-t4, gpu-v100"));
}

// A GPU with a few layers of its own and no other GPU to transfer from: its own fit alone, and
// when there is none, the error says both why not and what would give one.
TEST_F(TransferQueryTest, WithoutSourcesAFewLayersGetTheirOwnFitOrBothReasons) {
  const std::vector<v1::Measurement>* t4 = T4Measurements();
  if (t4 == nullptr) GTEST_SKIP() << kNoDataset;
  Register("few");
  LogCapture log;
  StoreAndFit("few", {(*t4)[0], (*t4)[1]});
  EXPECT_EQ(models_->Get("few"), nullptr);
  const std::string reason = models_->LastFitError("few");
  EXPECT_THAT(reason, HasSubstr("roofline"));
  EXPECT_THAT(reason, HasSubstr("no GPU platform to transfer from"));
  EXPECT_THAT(log.text(), HasSubstr("platform 'few': 2 layers of its own and nothing to transfer from"));

  ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, Batch("more", "few", *t4, 2, 38)).code(), 0);
  models_->WaitUntilIdle();
  ASSERT_NE(models_->Get("few"), nullptr) << models_->LastFitError("few");
  EXPECT_FALSE(models_->Get("few")->transferred);
  EXPECT_TRUE(models_->Get("few")->info.transferred_from().empty());
  EXPECT_EQ(models_->Get("few")->measured.size(), 40u);
  EXPECT_THAT(log.text(), HasSubstr("platform 'few': serving its own fit: "));
}

TEST_F(TransferQueryTest, BadSpecsAreRefusedNamingTheFieldAndStoreNothing) {
  v1::Platform no_sms = NewT4("bad");
  no_sms.set_compute_units(0);
  absl::Status status = RegisterSpecOnly(no_sms);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform.compute_units"));

  v1::Platform negative = NewT4("bad");
  negative.set_memory_bandwidth_gbps(-320);
  status = RegisterSpecOnly(negative);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform.memory_bandwidth_gbps"));
  // Refused for any registration, not only a spec-only one.
  v1::RegisterPlatformRequest request;
  *request.mutable_platform() = negative;
  v1::RegisterPlatformResponse response;
  EXPECT_EQ(server::RegisterPlatform(*store_, request, response).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetPlatform("bad").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TransferQueryTest, JetsonNanoIsBuiltInAndNeverOverwritten) {
  ASSERT_TRUE(server::RegisterBuiltInPlatforms(*store_, *models_, {"jetson-nano"}).ok());
  absl::StatusOr<v1::Platform> nano = store_->GetPlatform("jetson-nano");
  ASSERT_TRUE(nano.ok()) << nano.status();
  EXPECT_TRUE(nano->spec_only());
  EXPECT_EQ(nano->compute_units(), 1);
  EXPECT_DOUBLE_EQ(nano->memory_bandwidth_gbps(), 25.6);
  EXPECT_EQ(nano->compute_capability(), "5.3");
  models_->WaitUntilIdle();

  // An agent on a real Nano registers its own description: a restart leaves it as it is.
  v1::RegisterPlatformRequest agent;
  agent.mutable_platform()->set_name("jetson-nano");
  agent.mutable_platform()->set_driver_version("agent-set");
  v1::RegisterPlatformResponse response;
  ASSERT_TRUE(server::RegisterPlatform(*store_, agent, response).ok());
  ASSERT_TRUE(server::RegisterBuiltInPlatforms(*store_, *models_, {"jetson-nano"}).ok());
  EXPECT_EQ(store_->GetPlatform("jetson-nano")->driver_version(), "agent-set");

  const absl::Status unknown = server::RegisterBuiltInPlatforms(*store_, *models_, {"jetson-tx2"});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("--builtin_platforms: 'jetson-tx2'"));
  models_->WaitUntilIdle();
}

// convlat-client register-gpu onto a platform an agent registered is refused: its figures come
// from a table or a spec sheet, the agent's from the device itself.
TEST_F(TransferQueryTest, ASpecOnlyRegistrationNeverOverwritesAnAgentsDescription) {
  v1::RegisterPlatformRequest agent;
  agent.mutable_platform()->set_name("measured-gpu");
  agent.mutable_platform()->set_kind(v1::PLATFORM_KIND_GPU);
  agent.mutable_platform()->set_compute_units(46);
  v1::RegisterPlatformResponse response;
  ASSERT_TRUE(server::RegisterPlatform(*store_, agent, response).ok());

  v1::RegisterPlatformRequest spec_sheet;
  v1::Platform& described = *spec_sheet.mutable_platform();
  described.set_name("measured-gpu");
  described.set_device_name("NVIDIA Jetson Nano");
  described.set_spec_only(true);
  model::FillFromGpuSpecTable(described);
  const absl::Status refused = server::RegisterPlatform(*store_, spec_sheet, response);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("'measured-gpu' was registered by an agent"));
  EXPECT_EQ(store_->GetPlatform("measured-gpu")->compute_units(), 46) << "nothing changed";

  // A platform registered from its spec may be described again (a corrected clock).
  described.set_name("spec-gpu");
  ASSERT_TRUE(server::RegisterPlatform(*store_, spec_sheet, response).ok());
  described.set_core_clock_mhz(640);
  ASSERT_TRUE(server::RegisterPlatform(*store_, spec_sheet, response).ok());
  EXPECT_FALSE(response.created());
  EXPECT_DOUBLE_EQ(store_->GetPlatform("spec-gpu")->core_clock_mhz(), 640);
  models_->WaitUntilIdle();
}

}  // namespace
}  // namespace convlat::testing
