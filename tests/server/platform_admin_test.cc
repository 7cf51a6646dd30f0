// The admin core functions (retire, remove, purge), re-measurement and the platform listing,
// called directly with protos over a real SQLite store and this repository's CPU measurements:
// fits read only current measurements, every error names its field and changes nothing.
#include "server/platform_admin.h"

#include <ctime>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/public_datasets.h"
#include "server/measurement_ingest.h"
#include "server/model_lookup.h"
#include "server/platform_query.h"
#include "server/public_data_seeding.h"
#include "server/sweep_planning.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

class PlatformAdminTest : public ServerCoreTest {
 protected:
  void SetUp() override {
    ServerCoreTest::SetUp();
    Register("cpu");
  }

  server::AdminCore admin() { return {.store = *store_, .models = *models_, .metrics = metrics_}; }

  // Stores the measurements as batch `id` of "cpu" through the ingest core and waits for the refit.
  void Push(const std::string& id, const std::vector<v1::Measurement>& measurements) {
    const v1::PushAck ack = server::StoreBatch(*store_, *models_, metrics_, Batch(id, "cpu", measurements));
    ASSERT_EQ(ack.code(), 0) << ack.error();
    models_->WaitUntilIdle();
  }

  v1::PlatformSummary Summary() {
    v1::ListPlatformsResponse response;
    EXPECT_TRUE(server::ListPlatformSummaries(core(), response).ok());
    for (const v1::PlatformSummary& summary : response.platforms()) {
      if (summary.platform().name() == "cpu") return summary;
    }
    return {};
  }

  // The measurements the current model was fitted on (-1: no model).
  int64_t FittedOn() {
    models_->WaitUntilIdle();
    std::shared_ptr<const server::FittedModel> fitted = models_->Get("cpu");
    return fitted ? fitted->info.measurements_seen() : -1;
  }

  const std::vector<v1::Measurement> staircase_ = CpuMeasurements("staircase.csv");
};

// The time the next second starts. The CSV reader dates the records it reads (measured_at, whole
// seconds in the store), so records read before and after it are told apart by RetireMeasurements.
int64_t NextSecond() {
  const std::time_t start = std::time(nullptr);
  while (std::time(nullptr) == start) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return static_cast<int64_t>(std::time(nullptr));
}

TEST_F(PlatformAdminTest, BadRetireRequestsNameTheFieldAndChangeNothing) {
  Push("staircase", staircase_);
  v1::RetireMeasurementsRequest request;
  v1::AdminChange change;
  absl::Status status = server::RetireMeasurements(admin(), request, change);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("platform"));

  request.set_platform("cpu");
  status = server::RetireMeasurements(admin(), request, change);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("before is required"));

  request.mutable_before()->set_seconds(4102444800);
  request.mutable_before()->set_nanos(-1);
  status = server::RetireMeasurements(admin(), request, change);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("before must be a time"));

  request.mutable_before()->set_nanos(0);
  request.set_platform("nowhere");
  status = server::RetireMeasurements(admin(), request, change);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "platform 'nowhere' is not registered");

  v1::RemovePlatformRequest remove;
  remove.set_platform("nowhere");
  EXPECT_EQ(server::RemovePlatform(admin(), remove, change).code(), absl::StatusCode::kNotFound);
  v1::PurgeRetiredRequest purge;
  purge.set_platform("bad name!");
  EXPECT_EQ(server::PurgeRetired(admin(), purge, change).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(Summary().sample_count(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(Summary().retired_count(), 0);
  EXPECT_EQ(FittedOn(), static_cast<int64_t>(staircase_.size()));
}

TEST_F(PlatformAdminTest, RetiredMeasurementsLeaveTheFitButStayUntilPurged) {
  Push("staircase", staircase_);
  const int64_t between = NextSecond();
  const std::vector<v1::Measurement> native = CpuMeasurements("native-staircase.csv");
  Push("native", native);
  const int64_t both = static_cast<int64_t>(staircase_.size() + native.size());
  ASSERT_EQ(FittedOn(), both);

  v1::RetireMeasurementsRequest request;
  request.set_platform("cpu");
  request.mutable_before()->set_seconds(between);
  request.set_dry_run(true);
  v1::AdminChange change;
  ASSERT_TRUE(server::RetireMeasurements(admin(), request, change).ok());
  EXPECT_EQ(change.retired(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(change.current(), static_cast<int64_t>(native.size()));
  EXPECT_EQ(FittedOn(), both) << "a dry run changes nothing";

  request.set_dry_run(false);
  ASSERT_TRUE(server::RetireMeasurements(admin(), request, change).ok());
  EXPECT_EQ(change.retired(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(FittedOn(), static_cast<int64_t>(native.size()));
  v1::PlatformSummary summary = Summary();
  EXPECT_EQ(summary.sample_count(), static_cast<int64_t>(native.size()));
  EXPECT_EQ(summary.retired_count(), static_cast<int64_t>(staircase_.size()));

  v1::PurgeRetiredRequest purge;
  purge.set_platform("cpu");
  ASSERT_TRUE(server::PurgeRetired(admin(), purge, change).ok());
  EXPECT_EQ(change.purged(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(change.current(), static_cast<int64_t>(native.size()));
  EXPECT_EQ(Summary().retired_count(), 0);
  EXPECT_EQ(FittedOn(), static_cast<int64_t>(native.size()));
}

TEST_F(PlatformAdminTest, RetiringEverythingDropsTheModel) {
  Push("staircase", staircase_);
  v1::RetireMeasurementsRequest request;
  request.set_platform("cpu");
  request.mutable_before()->set_seconds(NextSecond() + 1);
  v1::AdminChange change;
  ASSERT_TRUE(server::RetireMeasurements(admin(), request, change).ok());
  EXPECT_EQ(change.current(), 0);
  EXPECT_EQ(FittedOn(), -1);
  const absl::Status lookup = server::ModelFor(core(), "cpu", "platform").status();
  EXPECT_EQ(lookup.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(lookup.message(), HasSubstr("retired"));
}

TEST_F(PlatformAdminTest, ARemovedPlatformIsNotFoundUntilRegisteredAgain) {
  Push("staircase", staircase_);
  v1::RemovePlatformRequest request;
  request.set_platform("cpu");
  v1::AdminChange change;
  ASSERT_TRUE(server::RemovePlatform(admin(), request, change).ok());
  EXPECT_TRUE(change.platform_removed());
  EXPECT_EQ(change.retired(), static_cast<int64_t>(staircase_.size()));
  // At once: the model is gone before the call returns.
  EXPECT_EQ(server::ModelFor(core(), "cpu", "platform").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SampleCount("cpu"), -1);

  Register("cpu");
  EXPECT_EQ(Summary().sample_count(), 0);
  EXPECT_EQ(Summary().retired_count(), static_cast<int64_t>(staircase_.size()));
  ASSERT_TRUE(server::RemovePlatform(admin(), request, change).ok());
  v1::PurgeRetiredRequest purge;
  purge.set_platform("cpu");
  ASSERT_TRUE(server::PurgeRetired(admin(), purge, change).ok());
  EXPECT_TRUE(change.platform_purged());
  EXPECT_EQ(change.purged(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(server::PurgeRetired(admin(), purge, change).code(), absl::StatusCode::kNotFound);
}

// A server restarted with --seed_public_data does not bring back a seeded platform an admin removed.
TEST_F(PlatformAdminTest, SeedingLeavesARemovedPlatformRemoved) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  const std::string datasets = model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
  absl::StatusOr<server::SeedReport> seeded =
      server::SeedPublicPlatforms(*store_, *models_, metrics_, datasets, {"gpu-t4"});
  ASSERT_TRUE(seeded.ok()) << seeded.status();
  ASSERT_EQ(seeded->seeded.size(), 1u);
  v1::RemovePlatformRequest request;
  request.set_platform("gpu-t4");
  v1::AdminChange change;
  ASSERT_TRUE(server::RemovePlatform(admin(), request, change).ok());
  EXPECT_EQ(change.retired(), static_cast<int64_t>(T4Measurements()->size()));

  seeded = server::SeedPublicPlatforms(*store_, *models_, metrics_, datasets, {"gpu-t4"});
  ASSERT_TRUE(seeded.ok()) << seeded.status();
  EXPECT_TRUE(seeded->seeded.empty());
  EXPECT_EQ(seeded->present, std::vector<std::string>{"gpu-t4"});
  EXPECT_EQ(store_->GetPlatform("gpu-t4").status().code(), absl::StatusCode::kNotFound);
}

// The same records pushed again in a second batch: they supersede the first, which the listing
// counts as history, and the model is fitted on one copy of each.
TEST_F(PlatformAdminTest, ASecondBatchOfTheSameConfigsSupersedesTheFirst) {
  Push("first", staircase_);
  Push("second", staircase_);
  const v1::PlatformSummary summary = Summary();
  EXPECT_EQ(summary.sample_count(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(summary.superseded_count(), static_cast<int64_t>(staircase_.size()));
  EXPECT_EQ(summary.noisy_count(), 0);
  EXPECT_EQ(FittedOn(), static_cast<int64_t>(staircase_.size()));
  ASSERT_TRUE(summary.model_ready());
  EXPECT_EQ(summary.fit_mape(), models_->Get("cpu")->info.fit_mape());
  EXPECT_GT(summary.fit_mape(), 0.0);
}

TEST_F(PlatformAdminTest, RemeasurePlansWhatThePlatformHasAlready) {
  Push("staircase", staircase_);
  v1::GetSweepPlanRequest request;
  request.set_platform("cpu");
  request.set_order(v1::SWEEP_ORDER_LISTED);
  for (int i = 0; i < 10; ++i) *request.add_candidates() = staircase_[i].params();
  v1::SweepPlan plan;
  ASSERT_TRUE(server::PlanSweepFor(*store_, request, plan).ok());
  EXPECT_EQ(plan.configs_size(), 0);
  EXPECT_EQ(plan.already_measured(), 10);

  request.set_remeasure(true);
  ASSERT_TRUE(server::PlanSweepFor(*store_, request, plan).ok());
  ASSERT_EQ(plan.configs_size(), 10);
  EXPECT_EQ(plan.already_measured(), 10);
  EXPECT_EQ(plan.configs(3).k(), staircase_[3].params().k());
}

}  // namespace
}  // namespace convlat::testing
