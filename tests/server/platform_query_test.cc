// The platform side of the core functions, called directly with protos over a real SQLite store:
// registration, the model lookup every prediction starts with, Predict, ListPlatforms and
// GetPlatformModel.
#include "server/platform_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "server/layer_query.h"
#include "server/model_lookup.h"
#include "server/platform_registration.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

using PlatformQueryTest = ServerCoreTest;

TEST_F(PlatformQueryTest, RegisterKeepsFieldsTheUpdateLeavesUnset) {
  Register("t4");
  v1::RegisterPlatformRequest update;
  update.mutable_platform()->set_name("t4");
  update.mutable_platform()->set_driver_version("535.1");
  v1::RegisterPlatformResponse response;
  ASSERT_TRUE(server::RegisterPlatform(*store_, update, response).ok());
  EXPECT_FALSE(response.created());
  EXPECT_EQ(response.platform().device_name(), "Tesla T4");
  EXPECT_EQ(response.platform().compute_units(), 40);
  EXPECT_EQ(response.platform().driver_version(), "535.1");

  update.mutable_platform()->set_name("bad name!");
  const absl::Status status = server::RegisterPlatform(*store_, update, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform.name"));
}

TEST_F(PlatformQueryTest, HotGainCalibrationsMergePerLayoutAndBadOnesChangeNothing) {
  v1::RegisterPlatformRequest request;
  request.mutable_platform()->set_name("cpu");
  request.mutable_platform()->set_kind(v1::PLATFORM_KIND_CPU);
  (*request.mutable_platform()->mutable_hot_gain_kept())["native"] = 0.2;
  v1::RegisterPlatformResponse response;
  ASSERT_TRUE(server::RegisterPlatform(*store_, request, response).ok());
  request.mutable_platform()->clear_hot_gain_kept();
  (*request.mutable_platform()->mutable_hot_gain_kept())["nchw"] = 0.7;
  ASSERT_TRUE(server::RegisterPlatform(*store_, request, response).ok());
  EXPECT_DOUBLE_EQ(response.platform().hot_gain_kept().at("native"), 0.2) << "calibrating NCHW keeps native's";
  EXPECT_DOUBLE_EQ(response.platform().hot_gain_kept().at("nchw"), 0.7);

  struct Case {
    std::string layout;
    double kept;
    std::string message;
  };
  for (const Case& bad : {Case{"native", 1.5, "platform.hot_gain_kept[\"native\"] must be within [0, 1], got 1.5"},
                          Case{"native", -0.1, "must be within [0, 1]"},
                          Case{"blocked", 0.5, "platform.hot_gain_kept[\"blocked\"] is not a layout"}}) {
    request.mutable_platform()->clear_hot_gain_kept();
    (*request.mutable_platform()->mutable_hot_gain_kept())[bad.layout] = bad.kept;
    const absl::Status status = server::RegisterPlatform(*store_, request, response);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.layout;
    EXPECT_THAT(status.message(), HasSubstr(bad.message));
  }
  absl::StatusOr<v1::Platform> stored = store_->GetPlatform("cpu");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->hot_gain_kept().size(), 2u);
  EXPECT_DOUBLE_EQ(stored->hot_gain_kept().at("native"), 0.2);
}

// A store whose measurement loads for one platform wait until the test lets them go: a fit of
// that platform is then running for as long as the test needs, with nothing timed.
class GatedStore final : public server::MeasurementStore {
 public:
  GatedStore(server::MeasurementStore& store, std::string gated) : store_(store), gated_(std::move(gated)) {}
  absl::Notification entered, release;

  absl::StatusOr<std::vector<v1::Measurement>> LoadMeasurements(const std::string& platform) override {
    if (platform == gated_) {
      if (!entered.HasBeenNotified()) entered.Notify();
      release.WaitForNotification();
    }
    return store_.LoadMeasurements(platform);
  }
  absl::StatusOr<server::UpsertPlatformResult> UpsertPlatform(const v1::Platform& platform) override {
    return store_.UpsertPlatform(platform);
  }
  absl::StatusOr<v1::Platform> GetPlatform(const std::string& name) override { return store_.GetPlatform(name); }
  absl::StatusOr<std::vector<v1::Platform>> ListPlatforms() override { return store_.ListPlatforms(); }
  absl::StatusOr<server::InsertBatchResult> InsertBatch(const v1::MeasurementBatch& batch) override {
    return store_.InsertBatch(batch);
  }
  absl::StatusOr<int64_t> CountSuccessfulMeasurements(const std::string& platform) override {
    return store_.CountSuccessfulMeasurements(platform);
  }
  absl::StatusOr<server::MeasurementCounts> CountMeasurements(const std::string& platform) override {
    return store_.CountMeasurements(platform);
  }
  absl::StatusOr<int64_t> RetireMeasurements(const std::string& platform, int64_t before_unix_seconds,
                                             bool dry_run) override {
    return store_.RetireMeasurements(platform, before_unix_seconds, dry_run);
  }
  absl::StatusOr<int64_t> RemovePlatform(const std::string& platform, bool dry_run) override {
    return store_.RemovePlatform(platform, dry_run);
  }
  absl::StatusOr<server::PurgeResult> PurgeRetired(const std::string& platform, bool dry_run) override {
    return store_.PurgeRetired(platform, dry_run);
  }

 private:
  server::MeasurementStore& store_;
  std::string gated_;
};

// While a platform's fit is queued or running, a query for it is told to come back (UNAVAILABLE),
// not to profile it: a spec-only GPU's first model waits for the transfer's fit, seconds to tens
// of seconds after the server starts. Once the fit has run, the usual answers.
TEST_F(PlatformQueryTest, APlatformWhoseFitIsUnderWayIsToldToComeBack) {
  GatedStore gated(*store_, "busy");
  server::ModelRegistry models(gated, metrics_);
  const server::QueryCore busy_core{.models = models, .store = gated, .metrics = metrics_};
  Register("busy");
  models.RequestRefit("busy");
  gated.entered.WaitForNotification();  // its fit is loading its measurements
  absl::Status status = server::ModelFor(busy_core, "busy", "platform").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message(),
            "platform 'busy' has no model yet: its fit is queued or running (0 successful measurements stored); "
            "try again in a few seconds");
  gated.release.Notify();
  models.WaitUntilIdle();
  status = server::ModelFor(busy_core, "busy", "platform").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("profile it with convlat-agent first"));
}

// The caller says which request field holds the platform; every reason names it.
TEST_F(PlatformQueryTest, ModelLookupNamesTheFieldItWasGiven) {
  const auto lookup = [this](const std::string& platform) {
    return server::ModelFor(core(), platform, "networks[1].platform").status();
  };
  EXPECT_EQ(lookup("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(lookup("").message(), "networks[1].platform is required");
  EXPECT_EQ(lookup("nowhere").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(lookup("nowhere").message(), "networks[1].platform 'nowhere' is not registered");
  Register("few");
  EXPECT_EQ(lookup("few").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(lookup("few").message(),
            "networks[1].platform 'few' has no model yet (0 successful measurements "
            "stored); profile it with convlat-agent first");

  // Too few measurements to fit: the reason the fit gave is part of the answer.
  const std::vector<v1::Measurement> convs = CpuMeasurements("staircase.csv");
  StoreAndFit("few", {convs[0], convs[1]});
  const std::string reason = models_->LastFitError("few");
  ASSERT_FALSE(reason.empty());
  EXPECT_THAT(lookup("few").message(), HasSubstr(absl::StrCat("(2 successful measurements stored; ", reason, ")")));
}

TEST_F(PlatformQueryTest, PredictErrorsNameTheProblem) {
  v1::PredictRequest request;
  request.set_platform("t4");
  v1::PredictResponse response;
  absl::Status status = server::PredictLayers(core(), request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "layers must not be empty (or give any_layers)");
  *request.add_layers() = Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
  *request.add_layers() = Conv("n=1,c=8,h=8,w=8,k=8,r=9,s=3");
  status = server::PredictLayers(core(), request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("layers[1].r"));
  request.mutable_layers()->RemoveLast();
  status = server::PredictLayers(core(), request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "platform 't4' is not registered");
  Register("t4");
  status = server::PredictLayers(core(), request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("platform 't4' has no model yet"));
  EXPECT_EQ(response.predictions_size(), 0);
}

TEST_F(PlatformQueryTest, PredictsOnceTheModelIsFitted) {
  ASSERT_NO_FATAL_FAILURE(FitT4(300));

  v1::PredictRequest request;
  request.set_platform("t4");
  *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  *request.add_layers() = Conv("n=8,c=256,h=14,w=14,k=256,r=3,s=3,pad=1");
  v1::PredictResponse response;
  ASSERT_TRUE(server::PredictLayers(core(), request, response).ok());
  ASSERT_EQ(response.predictions_size(), 2);
  EXPECT_GT(response.predictions(0).latency_us(), 0);
  EXPECT_GT(response.predictions(1).latency_us(), response.predictions(0).latency_us());
  // The T4 records carry kernel names and grids: the two-mode model explains with them.
  EXPECT_EQ(response.predictions(0).explanation().model_kind(), "two-mode");
  EXPECT_GT(response.predictions(0).explanation().waves(), 0);
  EXPECT_GT(response.model_version(), 1'700'000'000'000);  // unix milliseconds of the fit

  v1::GetPlatformModelRequest model_request;
  model_request.set_platform("t4");
  v1::PlatformModel model;
  ASSERT_TRUE(server::DescribePlatformModel(core(), model_request, model).ok());
  EXPECT_EQ(model.version(), response.model_version());
  EXPECT_EQ(model.sample_count(), 300);
  EXPECT_GT(model.fit_mape(), 0);
  EXPECT_EQ(model.parameters().count("kernel_groups"), 1u);
}

// Predict takes any layer, as a network's layer list does: convolutions through the conv model, ops
// through the op model when the platform has one, else from its device's data sheet.
TEST_F(PlatformQueryTest, PredictTakesOpsAsWellAsConvolutions) {
  ASSERT_NO_FATAL_FAILURE(FitT4(300));
  v1::PredictRequest request;
  request.set_platform("t4");
  *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  *request.add_any_layers()->mutable_op() = Op("op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1");
  *request.add_any_layers()->mutable_conv() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  v1::PredictResponse response;
  absl::Status status = server::PredictLayers(core(), request, response);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(response.predictions_size(), 3);
  EXPECT_EQ(response.predictions(1).explanation().model_kind(), "spec-roofline");  // the T4 timed no ops
  EXPECT_GT(response.predictions(1).latency_us(), 0);
  // The same conv, in either field, is the same prediction.
  EXPECT_EQ(response.predictions(2).latency_us(), response.predictions(0).latency_us());
  EXPECT_EQ(response.predictions(2).explanation().model_kind(), "two-mode");

  // A bad entry is named by its field and index.
  request.mutable_any_layers(0)->mutable_op()->set_c(0);
  status = server::PredictLayers(core(), request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("any_layers[0].op.c"));
  request.mutable_any_layers(0)->mutable_conv()->set_n(1);
  status = server::PredictLayers(core(), request, response);
  EXPECT_THAT(std::string(status.message()), HasSubstr("any_layers[0] must set exactly one of conv and op"));
}

// A layer the platform measured comes back as measured, its model's figure beside it; one it did
// not measure gets the model. GetPlatformModel says how many configurations are answered so.
TEST_F(PlatformQueryTest, MeasuredConfigurationsAreAnsweredWithTheirMeasurement) {
  Register("cpu");
  std::vector<v1::Measurement> measurements = CpuMeasurements("staircase.csv");
  const std::vector<v1::Measurement> ops = CpuOpMeasurements();
  measurements.insert(measurements.end(), ops.begin(), ops.end());
  StoreAndFit("cpu", measurements);
  const v1::Measurement& conv = measurements.front();
  const v1::Measurement& op = ops.front();

  v1::PredictRequest request;
  request.set_platform("cpu");
  *request.add_layers() = conv.params();
  *request.add_layers() = Conv("n=3,c=17,h=19,w=23,k=29,r=3,s=3");  // measured by nobody
  *request.add_any_layers()->mutable_op() = op.op();
  v1::PredictResponse response;
  ASSERT_TRUE(server::PredictLayers(core(), request, response).ok());
  ASSERT_EQ(response.predictions_size(), 3);
  const v1::LayerPrediction& measured_conv = response.predictions(0);
  EXPECT_TRUE(measured_conv.explanation().measured());
  EXPECT_EQ(measured_conv.latency_us(), conv.latency().median_us());
  EXPECT_GT(measured_conv.explanation().model_us(), 0);
  EXPECT_LE(measured_conv.p10_us(), measured_conv.latency_us());
  EXPECT_GE(measured_conv.p90_us(), measured_conv.latency_us());
  EXPECT_FALSE(response.predictions(1).explanation().measured());
  EXPECT_EQ(response.predictions(1).explanation().model_us(), 0);
  EXPECT_TRUE(response.predictions(2).explanation().measured());
  EXPECT_EQ(response.predictions(2).latency_us(), op.latency().median_us());

  v1::GetPlatformModelRequest model_request;
  model_request.set_platform("cpu");
  v1::PlatformModel model;
  ASSERT_TRUE(server::DescribePlatformModel(core(), model_request, model).ok());
  EXPECT_GT(model.parameters().at("measured.configurations"), 0.9 * static_cast<double>(measurements.size()));
  EXPECT_LE(model.parameters().at("measured.configurations"), static_cast<double>(measurements.size()));
}

// The CPU's measurements hold other ops too: they get a model of their own, which the conv
// model's counts leave out.
TEST_F(PlatformQueryTest, OtherOpsGetAModelOfTheirOwn) {
  Register("cpu");
  Register("idle");
  std::vector<v1::Measurement> measurements = CpuMeasurements("staircase.csv");
  const size_t convs = measurements.size();
  const std::vector<v1::Measurement> ops = CpuOpMeasurements();
  measurements.insert(measurements.end(), ops.begin(), ops.end());
  StoreAndFit("cpu", measurements);

  v1::GetPlatformModelRequest request;
  request.set_platform("cpu");
  v1::PlatformModel model;
  ASSERT_TRUE(server::DescribePlatformModel(core(), request, model).ok());
  EXPECT_EQ(model.sample_count(), static_cast<int64_t>(convs));
  EXPECT_EQ(model.op_sample_count(), static_cast<int64_t>(ops.size()));
  EXPECT_EQ(model.measurements_seen(), static_cast<int64_t>(measurements.size()));
  EXPECT_GT(model.op_fit_mape(), 0);
  EXPECT_LT(model.op_fit_mape(), 50);
  EXPECT_GT(model.parameters().at("op.max_pool@nchw.bandwidth_gbps"), 0);
  EXPECT_TRUE(model.parameters().contains("op.activation:sigmoid@nchw.fixed_us"));

  v1::ListPlatformsResponse platforms;
  ASSERT_TRUE(server::ListPlatformSummaries(core(), platforms).ok());
  ASSERT_EQ(platforms.platforms_size(), 2);
  for (const v1::PlatformSummary& summary : platforms.platforms()) {
    const bool cpu = summary.platform().name() == "cpu";
    EXPECT_EQ(summary.sample_count(), cpu ? static_cast<int64_t>(measurements.size()) : 0);
    EXPECT_EQ(summary.model_ready(), cpu) << summary.platform().name();
  }

  request.set_platform("idle");
  EXPECT_EQ(server::DescribePlatformModel(core(), request, model).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace convlat::testing
