// Re-profiling and the admin calls in both stores: a measurement of a configuration the platform
// has supersedes the stored one, which stays as history; retiring, removing and purging change
// what they say and nothing else; an unknown platform changes nothing. Every test runs on the
// SQLite store and on a real PostgreSQL started for it (skipped, saying why, where PostgreSQL is
// not installed). The records are storage fixtures, never fitted or reported.

#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "server/measurement_store.h"
#include "tests/store/each_store_fixture.h"

namespace convlat::server {
namespace {

using ::convlat::testing::EachStore;
using ::convlat::testing::EachStoreTest;
using ::convlat::testing::StoreTestName;
using ::google::protobuf::util::TimeUtil;

constexpr int64_t kMonday = 1795000000;  // measured_at of the first run's records (unix seconds)
constexpr int64_t kTuesday = kMonday + 86400;

class MeasurementHistoryTest : public EachStoreTest {
 protected:
  MeasurementHistoryTest() : EachStoreTest("history") {}

  // ConvBatch's records, stamped `measured_at`, their median `median_us`.
  static v1::MeasurementBatch Batch(const std::string& id, const std::string& platform, std::vector<int> ks,
                                    int64_t measured_at = kMonday, double median_us = 10.0) {
    v1::MeasurementBatch batch = ConvBatch(id, platform, ks);
    for (v1::Measurement& m : *batch.mutable_measurements()) {
      m.mutable_latency()->set_median_us(median_us);
      *m.mutable_measured_at() = TimeUtil::SecondsToTimestamp(measured_at);
    }
    return batch;
  }

  MeasurementCounts Counts(const std::string& platform) {
    absl::StatusOr<MeasurementCounts> counts = store_->CountMeasurements(platform);
    EXPECT_TRUE(counts.ok()) << counts.status();
    return counts.ok() ? *counts : MeasurementCounts{.current = -1};
  }

  // The medians of the platform's current measurements, in insertion order.
  std::vector<double> CurrentMedians(const std::string& platform) {
    std::vector<double> medians;
    absl::StatusOr<std::vector<v1::Measurement>> loaded = store_->LoadMeasurements(platform);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    if (loaded.ok()) {
      for (const v1::Measurement& m : *loaded) medians.push_back(m.latency().median_us());
    }
    return medians;
  }
};

TEST_P(MeasurementHistoryTest, AMeasurementAgainSupersedesTheStoredOneAndKeepsItAsHistory) {
  ASSERT_EQ(store_->InsertBatch(Batch("first", "h100", {16, 32, 64}, kMonday, 10.0))->superseded, 0);
  absl::StatusOr<InsertBatchResult> again = store_->InsertBatch(Batch("again", "h100", {32, 64}, kTuesday, 20.0));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->stored, 2);
  EXPECT_EQ(again->superseded, 2);
  EXPECT_EQ(CurrentMedians("h100"), (std::vector<double>{10.0, 20.0, 20.0}));
  EXPECT_EQ(*store_->CountSuccessfulMeasurements("h100"), 3);
  const MeasurementCounts counts = Counts("h100");
  EXPECT_EQ(counts.current, 3);
  EXPECT_EQ(counts.superseded, 2);
  EXPECT_EQ(counts.retired, 0);

  // The same batch again is still a duplicate and supersedes nothing; another platform's
  // configurations are its own.
  EXPECT_TRUE(store_->InsertBatch(Batch("again", "h100", {32, 64}, kTuesday, 20.0))->duplicate);
  EXPECT_EQ(store_->InsertBatch(Batch("a", "a100", {32}))->superseded, 0);
  EXPECT_EQ(Counts("h100").superseded, 2);

  // Another algorithm of the same configuration (--algo all) is not a re-measurement of it.
  v1::MeasurementBatch other_algorithm = Batch("algo", "h100", {16}, kTuesday, 30.0);
  other_algorithm.mutable_measurements(0)->set_algorithm("winograd");
  EXPECT_EQ(store_->InsertBatch(other_algorithm)->superseded, 0);
  EXPECT_EQ(Counts("h100").current, 4);

  // Within one batch the later measurement is the current one.
  EXPECT_EQ(store_->InsertBatch(Batch("twice", "a100", {48, 48}, kTuesday, 5.0))->superseded, 1);
  EXPECT_EQ(Counts("a100").current, 2);
}

TEST_P(MeasurementHistoryTest, RetiringBeforeATimeLeavesTheLaterOnesCurrentAndKeepsTheRest) {
  ASSERT_TRUE(store_->InsertBatch(Batch("monday", "h100", {16, 32}, kMonday, 10.0)).ok());
  ASSERT_TRUE(store_->InsertBatch(Batch("tuesday", "h100", {64}, kTuesday, 20.0)).ok());

  // A dry run counts and changes nothing.
  EXPECT_EQ(*store_->RetireMeasurements("h100", kTuesday, /*dry_run=*/true), 2);
  EXPECT_EQ(Counts("h100").current, 3);

  EXPECT_EQ(*store_->RetireMeasurements("h100", kTuesday, false), 2);
  EXPECT_EQ(CurrentMedians("h100"), (std::vector<double>{20.0}));
  MeasurementCounts counts = Counts("h100");
  EXPECT_EQ(counts.current, 1);
  EXPECT_EQ(counts.retired, 2);
  // Retired once is retired: asking again retires nothing more.
  EXPECT_EQ(*store_->RetireMeasurements("h100", kTuesday, false), 0);

  // A configuration measured again after it was retired is current again.
  ASSERT_TRUE(store_->InsertBatch(Batch("wednesday", "h100", {16}, kTuesday + 86400, 30.0)).ok());
  EXPECT_EQ(CurrentMedians("h100"), (std::vector<double>{20.0, 30.0}));
  EXPECT_EQ(Counts("h100").retired, 2);
  EXPECT_EQ(Counts("a100").current, 0);
}

TEST_P(MeasurementHistoryTest, PurgeDeletesOnlyHistory) {
  ASSERT_TRUE(store_->InsertBatch(Batch("monday", "h100", {16, 32, 64}, kMonday, 10.0)).ok());
  ASSERT_TRUE(store_->InsertBatch(Batch("tuesday", "h100", {16}, kTuesday, 20.0)).ok());
  ASSERT_EQ(*store_->RetireMeasurements("h100", kMonday + 1, false), 2);  // k=32 and k=64

  absl::StatusOr<PurgeResult> dry = store_->PurgeRetired("h100", true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->purged, 3);  // the superseded k=16 and the two retired
  EXPECT_FALSE(dry->platform_purged);
  EXPECT_EQ(Counts("h100").retired, 2);

  EXPECT_EQ(store_->PurgeRetired("h100", false)->purged, 3);
  const MeasurementCounts counts = Counts("h100");
  EXPECT_EQ(counts.current, 1);
  EXPECT_EQ(counts.superseded, 0);
  EXPECT_EQ(counts.retired, 0);
  EXPECT_EQ(CurrentMedians("h100"), (std::vector<double>{20.0}));
  EXPECT_EQ(store_->PurgeRetired("h100", false)->purged, 0);
  // The batch ids stay: a resend is still a duplicate, not stored again.
  EXPECT_TRUE(store_->InsertBatch(Batch("monday", "h100", {16, 32, 64}, kMonday, 10.0))->duplicate);
}

TEST_P(MeasurementHistoryTest, ARemovedPlatformIsGoneButItsDataStaysUntilPurged) {
  ASSERT_TRUE(store_->InsertBatch(Batch("monday", "h100", {16, 32}, kMonday)).ok());
  EXPECT_EQ(*store_->RemovePlatform("h100", /*dry_run=*/true), 2);
  EXPECT_TRUE(store_->GetPlatform("h100").ok()) << "a dry run removes nothing";

  EXPECT_EQ(*store_->RemovePlatform("h100", false), 2);
  EXPECT_EQ(store_->GetPlatform("h100").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListPlatforms()->size(), 1u);
  EXPECT_EQ(store_->InsertBatch(Batch("late", "h100", {64})).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RemovePlatform("h100", false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RetireMeasurements("h100", kTuesday, false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->LoadMeasurements("h100")->empty());

  // The name registers a new platform, which starts without the old one's measurements.
  v1::Platform again;
  again.set_name("h100");
  EXPECT_TRUE(store_->UpsertPlatform(again)->created);
  EXPECT_EQ(Counts("h100").current, 0);
  EXPECT_EQ(Counts("h100").retired, 2);
  ASSERT_EQ(*store_->RemovePlatform("h100", false), 0);

  // Purging a removed platform deletes it whole: the name is free, batch ids too.
  absl::StatusOr<PurgeResult> purged = store_->PurgeRetired("h100", false);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->purged, 2);
  EXPECT_TRUE(purged->platform_purged);
  EXPECT_EQ(store_->PurgeRetired("h100", false).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->UpsertPlatform(again)->created);
  EXPECT_EQ(store_->InsertBatch(Batch("monday", "h100", {16, 32}, kMonday))->stored, 2);
}

TEST_P(MeasurementHistoryTest, AnUnknownPlatformIsNotFoundAndNothingChanges) {
  ASSERT_TRUE(store_->InsertBatch(Batch("monday", "h100", {16, 32}, kMonday)).ok());
  EXPECT_EQ(store_->RetireMeasurements("v100", kTuesday, false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RemovePlatform("v100", false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->PurgeRetired("v100", false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->CountMeasurements("v100").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Counts("h100").current, 2);
  EXPECT_EQ(store_->ListPlatforms()->size(), 2u);
}

TEST_P(MeasurementHistoryTest, NoisyMeasurementsAreCountedFromTheirRecords) {
  v1::MeasurementBatch batch = Batch("monday", "h100", {16, 32, 64});
  batch.mutable_measurements(1)->set_noisy(true);
  batch.mutable_measurements(2)->set_failed(true);
  batch.mutable_measurements(2)->set_noisy(true);  // failed ones are no samples: not counted
  ASSERT_TRUE(store_->InsertBatch(batch).ok());
  MeasurementCounts counts = Counts("h100");
  EXPECT_EQ(counts.current, 2);
  EXPECT_EQ(counts.noisy, 1);
  // Measured again quietly, it is no longer noisy; the noisy one is history.
  ASSERT_TRUE(store_->InsertBatch(Batch("tuesday", "h100", {32}, kTuesday)).ok());
  counts = Counts("h100");
  EXPECT_EQ(counts.noisy, 0);
  EXPECT_EQ(counts.superseded, 1);
}

INSTANTIATE_TEST_SUITE_P(EachStore, MeasurementHistoryTest, EachStore(), StoreTestName);

}  // namespace
}  // namespace convlat::server
