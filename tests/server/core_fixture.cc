#include "tests/server/core_fixture.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "model/datasets/public_datasets.h"
#include "server/measurement_ingest.h"
#include "server/platform_query.h"
#include "server/platform_registration.h"
#include "tests/server/test_data.h"

namespace convlat::testing {

TempDb::TempDb(const std::string& stem) {
  static std::atomic<int> counter{0};
  path_ = ::testing::TempDir() + "/" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".db";
  std::filesystem::remove(path_);
}

TempDb::~TempDb() {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
}

void ServerCoreTest::SetUp() {
  absl::StatusOr<std::unique_ptr<server::MeasurementStore>> store = server::OpenMeasurementStore(db_.path());
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  models_ = std::make_unique<server::ModelRegistry>(*store_, metrics_);
}

void ServerCoreTest::StoreT4AndV100AsSources() {
  const std::vector<v1::Measurement>* t4 = T4Measurements();
  if (t4 == nullptr) GTEST_SKIP() << kNoDataset;
  Register("gpu-t4");
  StoreAndFit("gpu-t4", *t4);
  absl::StatusOr<model::RecordedPlatform> v100 =
      model::LoadPublicPlatform(*model::FindPublicPlatform("gpu-v100"),
                                model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public"), "test");
  ASSERT_TRUE(v100.ok()) << v100.status();
  v1::RegisterPlatformRequest request;
  *request.mutable_platform() = v100->platform;
  v1::RegisterPlatformResponse response;
  ASSERT_TRUE(server::RegisterPlatform(*store_, request, response).ok());
  StoreAndFit("gpu-v100", v100->measurements);
}

void ServerCoreTest::Register(const std::string& name) {
  v1::RegisterPlatformRequest request;
  *request.mutable_platform() = T4Platform(name);
  v1::RegisterPlatformResponse response;
  const absl::Status status = server::RegisterPlatform(*store_, request, response);
  ASSERT_TRUE(status.ok()) << status;
}

void ServerCoreTest::StoreAndFit(const std::string& platform, const std::vector<v1::Measurement>& measurements) {
  const v1::MeasurementBatch batch = Batch("fit-" + platform, platform, measurements);
  const v1::PushAck ack = server::StoreBatch(*store_, *models_, metrics_, batch);
  ASSERT_EQ(ack.code(), 0) << ack.error();
  models_->WaitUntilIdle();
}

void ServerCoreTest::FitCpu() {
  ASSERT_NO_FATAL_FAILURE(Register("cpu"));
  ASSERT_NO_FATAL_FAILURE(StoreAndFit("cpu", CpuConvsAndOps()));
  ASSERT_NE(models_->Get("cpu"), nullptr) << models_->LastFitError("cpu");
}

void ServerCoreTest::FitT4(size_t count) {
  const std::vector<v1::Measurement>* t4 = T4Measurements();
  ASSERT_NE(t4, nullptr) << kNoDataset;
  ASSERT_NO_FATAL_FAILURE(Register("t4"));
  ASSERT_NO_FATAL_FAILURE(
      StoreAndFit("t4", std::vector<v1::Measurement>(t4->begin(), t4->begin() + std::min(count, t4->size()))));
  ASSERT_NE(models_->Get("t4"), nullptr) << models_->LastFitError("t4");
}

int64_t ServerCoreTest::SampleCount(const std::string& platform) {
  v1::ListPlatformsResponse response;
  EXPECT_TRUE(server::ListPlatformSummaries(core(), response).ok());
  for (const v1::PlatformSummary& summary : response.platforms()) {
    if (summary.platform().name() == platform) return summary.sample_count();
  }
  return -1;
}

}  // namespace convlat::testing
