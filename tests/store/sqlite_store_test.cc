// The SQLite store on real files. The records here test storage only: every field is set so the
// round trip checks them all. They are not measurements and are never fitted or reported.
#include "server/sqlite_store.h"

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "model/layers/conv_spec.h"
#include "server/batch_identity.h"
#include "server/schema_migrations.h"

namespace convlat::server {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("store_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "convlat.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<MeasurementStore> OpenLatest() {
    absl::StatusOr<std::unique_ptr<MeasurementStore>> store = OpenMeasurementStore(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static v1::Platform Platform(const std::string& name) {
    v1::Platform p;
    p.set_name(name);
    p.set_kind(v1::PLATFORM_KIND_GPU);
    p.set_device_name("NVIDIA H100 80GB HBM3");
    p.set_compute_units(132);
    p.set_library("cudnn");
    p.set_library_version("9.13.0");
    return p;
  }

  // A measurement with every field set, so the round trip checks all of them.
  static v1::Measurement FullMeasurement(int k) {
    v1::Measurement m;
    *m.mutable_params() = *model::ParseConvSpec("n=2,c=64,h=56,w=56,k=" + std::to_string(k) +
                                                ",r=3,s=3,pad=1,stride=2,dtype=fp16,layout=nhwc,math=tensor_op");
    m.set_backend("cudnn");
    m.set_algorithm("IMPLICIT_PRECOMP_GEMM");
    v1::KernelRecord* kernel = m.add_kernels();
    kernel->set_name("sm90_xmma_fprop_implicit_gemm_f16f16_f16f32_f32_nhwckrsc_nhwc_tilesize128x128x64");
    kernel->mutable_grid()->set_x(98);
    kernel->mutable_grid()->set_y(1);
    kernel->mutable_grid()->set_z(1);
    kernel->mutable_block()->set_x(256);
    kernel->set_registers_per_thread(168);
    kernel->set_dynamic_shared_memory_bytes(98304);
    kernel->set_duration_us(41.5);
    m.mutable_latency()->set_median_us(43.25);
    m.mutable_latency()->set_min_us(42.0);
    m.mutable_latency()->set_p10_us(42.5);
    m.mutable_latency()->set_p90_us(44.0);
    m.mutable_latency()->set_repetitions(100);
    m.set_workspace_bytes(1 << 20);
    m.set_agent_id("gpu-node-3");
    *m.mutable_measured_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1790000000);
    m.set_noisy(k % 2 == 0);
    m.set_remeasurements(k % 2 == 0 ? 2 : 0);
    m.set_sm_clock_mhz_before(1980);
    m.set_sm_clock_mhz_after(1965);
    return m;
  }

  static v1::MeasurementBatch Batch(const std::string& id, const std::string& platform, int count, int first_k = 1) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(id);
    batch.set_platform(platform);
    for (int i = 0; i < count; ++i) *batch.add_measurements() = FullMeasurement(first_k + i);
    return batch;
  }

  // Stores the batch as convlat did before schema v3, which kept no content digest, or (with
  // the digest) before v4, which added the noisy column: this convlat's InsertBatch cannot write
  // to an older schema.
  void WriteBatchAsOlderConvlat(const v1::MeasurementBatch& batch, bool with_digest = false) {
    const std::string platform_id = "(SELECT id FROM platforms WHERE name = '" + batch.platform() + "')";
    std::string sql = "BEGIN; INSERT INTO batches(batch_id, platform_id, received_at, measurement_count" +
                      std::string(with_digest ? ", content_sha256" : "") + ") VALUES ('" + batch.batch_id() + "', " +
                      platform_id + ", 0, " + std::to_string(batch.measurements_size()) +
                      (with_digest ? ", '" + BatchContentDigest(batch) + "'" : "") + ");";
    for (const v1::Measurement& m : batch.measurements()) {
      sql += "INSERT INTO measurements(platform_id, batch_id, failed, median_us, record) VALUES (" + platform_id +
             ", '" + batch.batch_id() + "', " + (m.failed() ? "1" : "0") + ", " +
             std::to_string(m.latency().median_us()) + ", X'" + absl::BytesToHexString(m.SerializeAsString()) + "');";
    }
    sql += "COMMIT;";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  // The first column of the query's one row, on a connection of its own.
  int SqlCount(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_stmt* statement = nullptr;
    int value = -1;
    if (sqlite3_open(path_.c_str(), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int(statement, 0);
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, PlatformsRoundTripAndUpdate) {
  auto store = OpenLatest();
  absl::StatusOr<UpsertPlatformResult> first = store->UpsertPlatform(Platform("h100"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  v1::Platform updated = Platform("h100");
  updated.set_driver_version("580.65");
  absl::StatusOr<UpsertPlatformResult> second = store->UpsertPlatform(updated);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  ASSERT_TRUE(store->UpsertPlatform(Platform("a100")).ok());

  absl::StatusOr<v1::Platform> read = store->GetPlatform("h100");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*read, updated));
  absl::StatusOr<std::vector<v1::Platform>> all = store->ListPlatforms();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name(), "a100");
  EXPECT_EQ(store->GetPlatform("v100").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpsertPlatform(v1::Platform()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, MeasurementsRoundTripWithEveryField) {
  auto store = OpenLatest();
  ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
  v1::MeasurementBatch batch = Batch("b1", "h100", 3);
  batch.mutable_measurements(2)->set_failed(true);
  batch.mutable_measurements(2)->set_failure_reason("CUDNN_STATUS_NOT_SUPPORTED");
  absl::StatusOr<InsertBatchResult> result = store->InsertBatch(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stored, 3);
  EXPECT_FALSE(result->duplicate);

  absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], batch.measurements(i))) << i;
  EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 2);
  EXPECT_TRUE(store->LoadMeasurements("nobody")->empty());
  // The noisy column says what the records say (k = 2 is the one noisy measurement).
  EXPECT_EQ(SqlCount("SELECT count(*) FROM measurements WHERE noisy = 1"), 1);
  EXPECT_EQ(SqlCount("SELECT k FROM measurements WHERE noisy = 1"), 2);
}

TEST_F(SqliteStoreTest, ABatchIdIsStoredOnce) {
  auto store = OpenLatest();
  ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
  ASSERT_EQ(store->InsertBatch(Batch("b1", "h100", 4))->stored, 4);
  absl::StatusOr<InsertBatchResult> again = store->InsertBatch(Batch("b1", "h100", 4));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->stored, 0);
  EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 4);
}

TEST_F(SqliteStoreTest, RefusesBadBatchesWithoutWriting) {
  auto store = OpenLatest();
  ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
  absl::Status unknown = store->InsertBatch(Batch("b1", "v100", 1)).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("v100"));
  absl::Status no_id = store->InsertBatch(Batch("", "h100", 1)).status();
  EXPECT_EQ(no_id.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_id.message(), HasSubstr("batch_id"));
  EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 0);
}

TEST_F(SqliteStoreTest, DataSurvivesReopening) {
  {
    auto store = OpenLatest();
    ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
    ASSERT_TRUE(store->InsertBatch(Batch("b1", "h100", 5)).ok());
  }
  auto reopened = OpenLatest();
  EXPECT_EQ(*reopened->CountSuccessfulMeasurements("h100"), 5);
  EXPECT_TRUE(reopened->InsertBatch(Batch("b1", "h100", 5))->duplicate);
}

// A database as convlat left it before batch digests (schema v1, v2), opened by this one: every
// batch and measurement is kept, a resend of an old batch is still a duplicate, and new batches
// get their digest.
TEST_F(SqliteStoreTest, MigratesOlderDatabasesKeepingTheirBatches) {
  for (int old_version : {1, 2}) {
    SCOPED_TRACE(old_version);
    path_ = (dir_ / ("v" + std::to_string(old_version) + ".db")).string();
    const v1::MeasurementBatch old_batch = Batch("old", "h100", 3);
    {
      absl::StatusOr<std::unique_ptr<SqliteStore>> old = SqliteStore::Open(path_, old_version);
      ASSERT_TRUE(old.ok()) << old.status();
      ASSERT_TRUE((*old)->UpsertPlatform(Platform("h100")).ok());
      ASSERT_TRUE((*old)->UpsertPlatform(Platform("a100")).ok());
    }
    WriteBatchAsOlderConvlat(old_batch);

    auto store = OpenLatest();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(SqlCount("SELECT user_version FROM pragma_user_version"), LatestSchemaVersion());
    EXPECT_EQ(SqlCount("SELECT count(*) FROM sqlite_master WHERE name = 'measurements_by_platform'"), 1) << "v2 index";
    absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_EQ(loaded->size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], old_batch.measurements(i))) << i;
    EXPECT_TRUE(store->InsertBatch(old_batch)->duplicate);
    // Its measurements were never digested, so other ones under its id pass for a resend, as
    // they did before v3; its platform was recorded, and another one is refused.
    EXPECT_TRUE(store->InsertBatch(Batch("old", "h100", 2, 50))->duplicate);
    EXPECT_EQ(store->InsertBatch(Batch("old", "a100", 3)).status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 3);
    ASSERT_EQ(store->InsertBatch(Batch("new", "h100", 2, 10))->stored, 2);
    EXPECT_EQ(store->InsertBatch(Batch("new", "h100", 2, 20)).status().code(), absl::StatusCode::kAlreadyExists);
  }
}

// A database as convlat left it before the noisy column (schema v3), opened by this one: its rows
// are kept and read noisy = 0 in the column (their records are unchanged), its batches are still
// recognised when resent, and new rows fill the column from their records.
TEST_F(SqliteStoreTest, MigratesAVersionThreeDatabaseKeepingItsRows) {
  const v1::MeasurementBatch old_batch = Batch("old", "h100", 3);
  ASSERT_TRUE(SqliteStore::Open(path_, 3).value()->UpsertPlatform(Platform("h100")).ok());  // closed at once
  WriteBatchAsOlderConvlat(old_batch, /*with_digest=*/true);
  ASSERT_EQ(SqlCount("SELECT count(*) FROM pragma_table_info('measurements') WHERE name = 'noisy'"), 0);

  auto store = OpenLatest();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(SqlCount("SELECT user_version FROM pragma_user_version"), LatestSchemaVersion());
  EXPECT_EQ(SqlCount("SELECT count(*) FROM measurements WHERE noisy = 0"), 3);
  absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], old_batch.measurements(i))) << i;
  EXPECT_TRUE(store->InsertBatch(old_batch)->duplicate);
  EXPECT_EQ(store->InsertBatch(Batch("old", "h100", 2, 50)).status().code(), absl::StatusCode::kAlreadyExists);

  ASSERT_EQ(store->InsertBatch(Batch("new", "h100", 2, 10))->stored, 2);  // k = 10 noisy, k = 11 not
  EXPECT_EQ(SqlCount("SELECT count(*) FROM measurements WHERE noisy = 1"), 1);
  EXPECT_EQ(SqlCount("SELECT k FROM measurements WHERE noisy = 1"), 10);
  EXPECT_EQ(*store->CountSuccessfulMeasurements("h100"), 5);
}

// Rows an older convlat stored have no identity (the history columns came later): opening the
// store gives them theirs, and of a configuration stored twice the newer row is the current one.
TEST_F(SqliteStoreTest, OlderRowsGetTheirIdentityAndTheNewerOfTwoIsCurrent) {
  {
    auto store = OpenLatest();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
  }
  WriteBatchAsOlderConvlat(Batch("old-1", "h100", 3));
  WriteBatchAsOlderConvlat(Batch("old-2", "h100", 2));  // k = 1 and 2 again
  ASSERT_EQ(SqlCount("SELECT count(*) FROM measurements WHERE identity IS NULL"), 5);

  auto store = OpenLatest();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM measurements WHERE identity IS NULL"), 0);
  absl::StatusOr<MeasurementCounts> counts = store->CountMeasurements("h100");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->current, 3);
  EXPECT_EQ(counts->superseded, 2);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM measurements WHERE superseded_at IS NOT NULL AND batch_id = 'old-1' "
                     "AND id IN (SELECT id FROM measurements ORDER BY id LIMIT 2)"),
            2);
  // New rows supersede the older ones' identities like any others.
  EXPECT_EQ(store->InsertBatch(Batch("new", "h100", 1, 3))->superseded, 1);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerConvlat) {
  { ASSERT_NE(OpenLatest(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const std::string bump = "PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1);
  ASSERT_EQ(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  absl::Status status = OpenMeasurementStore(path_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("newer than this convlat knows"));
}

TEST_F(SqliteStoreTest, GarbageFileAndBadPathsGiveClearErrors) {
  std::ofstream(path_) << std::string(4096, 'x');
  absl::Status garbage = OpenMeasurementStore(path_).status();
  EXPECT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.message(), HasSubstr(path_));
  EXPECT_FALSE(OpenMeasurementStore((dir_ / "missing" / "dir" / "x.db").string()).ok());
  // A PostgreSQL URL goes to the PostgreSQL store (postgres_store_test); nothing listens here.
  EXPECT_EQ(OpenMeasurementStore("postgresql://postgres@127.0.0.1:1/convlat?connect_timeout=2").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(OpenMeasurementStore("sqlite:" + (dir_ / "other.db").string()).ok());
}

TEST_F(SqliteStoreTest, ConcurrentBatchesAreEachStoredExactlyOnce) {
  auto store = OpenLatest();
  ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
  std::vector<std::thread> agents;
  std::atomic<int> stored{0}, duplicates{0};
  for (int agent = 0; agent < 4; ++agent) {
    agents.emplace_back([&, agent] {
      // Every agent sends the same 10 batch ids (a retry storm) plus 5 of its own.
      for (int i = 0; i < 10; ++i) {
        auto result = store->InsertBatch(Batch("shared-" + std::to_string(i), "h100", 2));
        ASSERT_TRUE(result.ok()) << result.status();
        stored += result->stored;
        duplicates += result->duplicate ? 1 : 0;
      }
      for (int i = 0; i < 5; ++i) {
        auto result = store->InsertBatch(Batch("agent" + std::to_string(agent) + "-" + std::to_string(i), "h100", 3));
        ASSERT_TRUE(result.ok()) << result.status();
        stored += result->stored;
      }
    });
  }
  for (std::thread& t : agents) t.join();
  EXPECT_EQ(duplicates, 30);
  EXPECT_EQ(stored, 10 * 2 + 4 * 5 * 3);
  // Every batch stored once; their records measure the same three configurations (k = 1..3), so
  // the newest of each is current and the others are kept as superseded history.
  absl::StatusOr<MeasurementCounts> counts = store->CountMeasurements("h100");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->current + counts->superseded, 10 * 2 + 4 * 5 * 3);
  EXPECT_EQ(counts->current, 3);
}

// A disk that fills up (here: a file-size limit on this process, as a quota or a full volume
// would) makes the batch that does not fit fail with a clear error and leaves nothing of it;
// everything stored before stays readable, and the same batch goes in once there is room.
TEST_F(SqliteStoreTest, AFullDiskRefusesTheBatchAndLosesNothingStored) {
  auto store = OpenLatest();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->UpsertPlatform(Platform("h100")).ok());
  ASSERT_TRUE(store->InsertBatch(Batch("before", "h100", 20)).ok());

  rlimit original{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &original), 0);
  std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing us
  rlimit tight = original;
  tight.rlim_cur = std::filesystem::file_size(path_) + std::filesystem::file_size(path_ + "-wal") + 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
  absl::Status full;
  int stored_while_tight = 0;
  for (int i = 0; i < 200 && full.ok(); ++i) {
    full = store->InsertBatch(Batch("tight-" + std::to_string(i), "h100", 50, 1000 * (i + 1))).status();
    if (full.ok()) ++stored_while_tight;
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &original), 0);
  std::signal(SIGXFSZ, SIG_DFL);
  ASSERT_FALSE(full.ok()) << "the limit was never reached";
  EXPECT_TRUE(full.code() == absl::StatusCode::kUnavailable || full.code() == absl::StatusCode::kResourceExhausted)
      << full;
  EXPECT_THAT(full.message(), HasSubstr("store "));

  absl::StatusOr<std::vector<v1::Measurement>> loaded = store->LoadMeasurements("h100");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->size(), 20u + 50u * stored_while_tight) << "all of a batch, or none of it";
  const std::string refused_id = "tight-" + std::to_string(stored_while_tight);
  absl::StatusOr<InsertBatchResult> retried =
      store->InsertBatch(Batch(refused_id, "h100", 50, 1000 * (stored_while_tight + 1)));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->duplicate) << "the refused batch had not been recorded";
  EXPECT_EQ(store->LoadMeasurements("h100")->size(), 20u + 50u * (stored_while_tight + 1));
}

}  // namespace
}  // namespace convlat::server
