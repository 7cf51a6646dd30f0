// The hot-latency column (SQLite schema v6) on real files: a v5 database, as the convlat before it
// left one, opened by this one keeps every row, and new rows fill the column from their records.
// The records are storage fixtures, not measurements: they are never fitted or reported.
#include <sqlite3.h>

#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>

#include "google/protobuf/util/message_differencer.h"
#include "model/layers/conv_spec.h"
#include "server/measurement_store.h"
#include "server/schema_migrations.h"
#include "server/sqlite_store.h"

namespace convlat::server {
namespace {

using ::google::protobuf::util::MessageDifferencer;

class HotLatencyColumnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("hot_column_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "convlat.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static v1::Platform Platform() {
    v1::Platform p;
    p.set_name("epyc");
    p.set_kind(v1::PLATFORM_KIND_CPU);
    p.set_device_name("AMD EPYC");
    p.set_last_level_cache_bytes(int64_t{32} << 20);
    return p;
  }

  // k = first_k, first_k + 1, ...; every other one timed hot as well (`with_hot`).
  static v1::MeasurementBatch Batch(const std::string& id, int count, int first_k, bool with_hot) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(id);
    batch.set_platform("epyc");
    for (int i = 0; i < count; ++i) {
      v1::Measurement* m = batch.add_measurements();
      *m->mutable_params() = *model::ParseConvSpec("n=1,c=32,h=28,w=28,r=3,s=3,pad=1,k=" + std::to_string(first_k + i));
      m->set_backend("onednn");
      m->mutable_latency()->set_median_us(100.0 + i);
      if (with_hot && i % 2 == 0) m->mutable_hot_latency()->set_median_us(40.0 + i);
    }
    return batch;
  }

  // The first column of the query's one row as a double, -1 for NULL or no row.
  double SqlValue(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_stmt* statement = nullptr;
    double value = -2;
    if (sqlite3_open(path_.c_str(), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK) {
      value = sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_type(statement, 0) != SQLITE_NULL
                  ? sqlite3_column_double(statement, 0)
                  : -1;
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(HotLatencyColumnTest, AVersionFiveDatabaseKeepsItsRowsAndNewOnesFillTheColumn) {
  const v1::MeasurementBatch old_batch = Batch("old", 3, 1, /*with_hot=*/false);
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> old = SqliteStore::Open(path_, 5);
    ASSERT_TRUE(old.ok()) << old.status();
    ASSERT_TRUE((*old)->UpsertPlatform(Platform()).ok());
    // v5's own InsertBatch cannot be used: this convlat's writes the v6 column.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string sql =
        "BEGIN; INSERT INTO batches(batch_id, platform_id, received_at, measurement_count) "
        "VALUES ('old', 1, 0, 3);";
    for (const v1::Measurement& m : old_batch.measurements()) {
      const std::string record = m.SerializeAsString();
      std::string hex;
      for (unsigned char c : record) {
        static const char* kDigits = "0123456789ABCDEF";
        hex += kDigits[c >> 4];
        hex += kDigits[c & 15];
      }
      sql += "INSERT INTO measurements(platform_id, batch_id, failed, median_us, record) VALUES (1, 'old', 0, " +
             std::to_string(m.latency().median_us()) + ", X'" + hex + "');";
    }
    sql += "COMMIT;";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  ASSERT_EQ(SqlValue("SELECT count(*) FROM pragma_table_info('measurements') WHERE name = 'hot_median_us'"), 0);

  absl::StatusOr<std::unique_ptr<MeasurementStore>> store = OpenMeasurementStore(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(SqlValue("SELECT user_version FROM pragma_user_version"), LatestSchemaVersion());
  EXPECT_EQ(LatestSchemaVersion(), 6);
  EXPECT_EQ(SqlValue("SELECT count(*) FROM measurements WHERE hot_median_us IS NULL"), 3);
  absl::StatusOr<std::vector<v1::Measurement>> loaded = (*store)->LoadMeasurements("epyc");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], old_batch.measurements(i))) << i;
    EXPECT_FALSE((*loaded)[i].has_hot_latency()) << i;
  }
  EXPECT_TRUE((*store)->InsertBatch(old_batch)->duplicate);

  // New rows: k = 10 and 12 timed hot, k = 11 not.
  const v1::MeasurementBatch new_batch = Batch("new", 3, 10, /*with_hot=*/true);
  ASSERT_EQ((*store)->InsertBatch(new_batch)->stored, 3);
  EXPECT_EQ(SqlValue("SELECT hot_median_us FROM measurements WHERE k = 10"), 40.0);
  EXPECT_EQ(SqlValue("SELECT hot_median_us FROM measurements WHERE k = 12"), 42.0);
  EXPECT_EQ(SqlValue("SELECT hot_median_us FROM measurements WHERE k = 11"), -1);  // NULL
  loaded = (*store)->LoadMeasurements("epyc");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 6u);
  EXPECT_DOUBLE_EQ((*loaded)[3].hot_latency().median_us(), 40.0);
  EXPECT_FALSE((*loaded)[4].has_hot_latency());
}

TEST_F(HotLatencyColumnTest, APlatformKeepsItsLastLevelCache) {
  absl::StatusOr<std::unique_ptr<MeasurementStore>> store = OpenMeasurementStore(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->UpsertPlatform(Platform()).ok());
  absl::StatusOr<v1::Platform> platform = (*store)->GetPlatform("epyc");
  ASSERT_TRUE(platform.ok()) << platform.status();
  EXPECT_EQ(platform->last_level_cache_bytes(), int64_t{32} << 20);
}

}  // namespace
}  // namespace convlat::server
