#include "tests/store/each_store_fixture.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace convlat::testing {

TemporaryPostgres* EachStoreTest::postgres_ = nullptr;
std::string EachStoreTest::why_no_postgres_;

const char* Name(StoreBackend backend) { return backend == StoreBackend::kSqlite ? "SQLite" : "PostgreSQL"; }

void PrintTo(StoreBackend backend, std::ostream* out) { *out << Name(backend); }

std::string StoreTestName(const ::testing::TestParamInfo<StoreBackend>& info) { return Name(info.param); }

void EachStoreTest::TearDownTestSuite() {
  delete postgres_;
  postgres_ = nullptr;
}

void EachStoreTest::SetUp() {
  static std::atomic<int> counter{0};
  const std::string name = stem_ + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  if (GetParam() == StoreBackend::kSqlite) {
    sqlite_path_ = ::testing::TempDir() + "/" + name + ".db";
    url_ = sqlite_path_;
  } else {
    // Started by the first PostgreSQL test only, so the SQLite ones never wait for it.
    if (postgres_ == nullptr && why_no_postgres_.empty()) {
      absl::StatusOr<std::unique_ptr<TemporaryPostgres>> started = TemporaryPostgres::Start();
      if (started.ok()) {
        postgres_ = started->release();
      } else {
        why_no_postgres_ = std::string(started.status().message());
      }
    }
    if (postgres_ == nullptr) GTEST_SKIP() << "no PostgreSQL for this test: " << why_no_postgres_;
    absl::StatusOr<std::string> url = postgres_->NewDatabase(name);
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  for (const char* platform : {"h100", "a100"}) {
    v1::Platform p;
    p.set_name(platform);
    ASSERT_TRUE(store_->UpsertPlatform(p).ok());
  }
}

void EachStoreTest::TearDown() {
  store_.reset();
  if (sqlite_path_.empty()) return;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(sqlite_path_ + suffix);
}

v1::MeasurementBatch EachStoreTest::ConvBatch(const std::string& id, const std::string& platform,
                                              const std::vector<int>& ks) {
  v1::MeasurementBatch batch;
  batch.set_batch_id(id);
  batch.set_platform(platform);
  for (int k : ks) {
    v1::Measurement* m = batch.add_measurements();
    v1::ConvParams* p = m->mutable_params();
    p->set_n(1);
    p->set_c(64);
    p->set_h(28);
    p->set_w(28);
    p->set_k(k);
    p->set_r(3);
    p->set_s(3);
    m->set_backend("onednn");
    m->mutable_latency()->set_median_us(10.0 + k);
  }
  return batch;
}

std::unique_ptr<server::MeasurementStore> EachStoreTest::Open() {
  absl::StatusOr<std::unique_ptr<server::MeasurementStore>> store = server::OpenMeasurementStore(url_);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

}  // namespace convlat::testing
