#include "profiler_agent/delivery/spool.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/test_dir.h"

namespace convlat::agent {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = convlat::testing::FreshTestDir(); }
  void TearDown() override { fs::remove_all(dir_); }

  static v1::MeasurementBatch Batch(const std::string& id) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(id);
    batch.set_platform("cpu");
    batch.add_measurements()->set_algorithm("jit:avx2");
    return batch;
  }

  fs::path dir_;
};

TEST_F(SpoolTest, KeepsBatchesInOrderAcrossReopening) {
  {
    absl::StatusOr<Spool> spool = Spool::Open(dir_.string());
    ASSERT_TRUE(spool.ok()) << spool.status();
    for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(spool->Add(Batch(id)).ok());
  }
  absl::StatusOr<Spool> reopened = Spool::Open(dir_.string());
  ASSERT_TRUE(reopened.ok());
  absl::StatusOr<std::vector<std::string>> pending = reopened->Pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ(reopened->Read((*pending)[0])->batch_id(), "a");
  EXPECT_EQ(reopened->Read((*pending)[2])->batch_id(), "c");
  ASSERT_TRUE(reopened->Remove((*pending)[1]).ok());
  EXPECT_EQ(reopened->Pending()->size(), 2u);
}

TEST_F(SpoolTest, RejectedBatchesAreKeptWithTheirReason) {
  absl::StatusOr<Spool> spool = Spool::Open(dir_.string());
  ASSERT_TRUE(spool.ok());
  absl::StatusOr<std::string> path = spool->Add(Batch("bad"));
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(spool->Reject(*path, "measurements[0].params.n must be > 0").ok());
  EXPECT_TRUE(spool->Pending()->empty());
  const fs::path rejected = dir_ / "rejected" / fs::path(*path).filename();
  EXPECT_TRUE(fs::exists(rejected));
  std::ifstream reason(rejected.string() + ".reason");
  std::string text;
  std::getline(reason, text);
  EXPECT_EQ(text, "measurements[0].params.n must be > 0");
}

TEST_F(SpoolTest, IgnoresTemporariesAndReportsCorruptFiles) {
  absl::StatusOr<Spool> spool = Spool::Open(dir_.string());
  ASSERT_TRUE(spool.ok());
  std::ofstream(dir_ / "00000000000000000001-000000.batch.tmp") << "half written";
  EXPECT_TRUE(spool->Pending()->empty());
  std::ofstream(dir_ / "00000000000000000002-000000.batch") << "\xff\xff\xff not a batch";
  ASSERT_EQ(spool->Pending()->size(), 1u);
  EXPECT_EQ(spool->Read(spool->Pending()->front()).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SpoolTest, PlatformsAndUniqueIds) {
  absl::StatusOr<Spool> spool = Spool::Open(dir_.string());
  ASSERT_TRUE(spool.ok());
  v1::Platform platform;
  platform.set_name("box-cpu");
  platform.set_device_name("test CPU");
  ASSERT_TRUE(spool->SavePlatform(platform).ok());
  ASSERT_TRUE(spool->SavePlatform(platform).ok());
  ASSERT_EQ(spool->Platforms()->size(), 1u);
  EXPECT_EQ(spool->Platforms()->front().device_name(), "test CPU");
  EXPECT_NE(spool->NewBatchId("agent"), spool->NewBatchId("agent"));
}

}  // namespace
}  // namespace convlat::agent
