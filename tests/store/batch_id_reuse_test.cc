// The rule both stores keep for batch ids (server/batch_identity.h): the same batch sent again is
// an idempotent duplicate, which is what makes an agent's retries safe; another batch under an id
// already used (other measurements, another platform) is refused with ALREADY_EXISTS, and nothing
// is written or lost. Every test runs on the SQLite store and on a real PostgreSQL started for
// it (skipped, saying why, where PostgreSQL is not installed). The records are storage fixtures,
// never fitted or reported.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <ostream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/message_differencer.h"
#include "server/measurement_store.h"
#include "tests/support/temporary_postgres.h"

namespace convlat::server {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

enum class Backend { kSqlite, kPostgres };
const char* Name(Backend backend) { return backend == Backend::kSqlite ? "SQLite" : "PostgreSQL"; }
void PrintTo(Backend backend, std::ostream* out) { *out << Name(backend); }  // in the test names ctest shows

class BatchIdReuseTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void TearDownTestSuite() {
    delete postgres_;
    postgres_ = nullptr;
  }

  void SetUp() override {
    static std::atomic<int> counter{0};
    const std::string name = "batch_reuse_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    if (GetParam() == Backend::kSqlite) {
      sqlite_path_ = ::testing::TempDir() + "/" + name + ".db";
      url_ = sqlite_path_;
    } else {
      // Started by the first PostgreSQL test only, so the SQLite ones never wait for it.
      if (postgres_ == nullptr && why_no_postgres_.empty()) {
        absl::StatusOr<std::unique_ptr<testing::TemporaryPostgres>> started = testing::TemporaryPostgres::Start();
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

  void TearDown() override {
    store_.reset();
    if (sqlite_path_.empty()) return;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(sqlite_path_ + suffix);
  }

  // Another connection to the same database, as a second replica (or a second server thread) has.
  std::unique_ptr<MeasurementStore> Open() {
    absl::StatusOr<std::unique_ptr<MeasurementStore>> store = OpenMeasurementStore(url_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // One measurement per entry of `ks`, the output channels telling them apart.
  static v1::MeasurementBatch Batch(const std::string& id, const std::string& platform, std::vector<int> ks) {
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

  // The platform's stored measurements are exactly the batch's, in its order.
  void ExpectStoredExactly(const std::string& platform, const v1::MeasurementBatch& batch) {
    absl::StatusOr<std::vector<v1::Measurement>> loaded = store_->LoadMeasurements(platform);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_EQ(loaded->size(), static_cast<size_t>(batch.measurements_size()));
    for (int i = 0; i < batch.measurements_size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], batch.measurements(i))) << i;
    }
  }

  static testing::TemporaryPostgres* postgres_;
  static std::string why_no_postgres_;
  std::string sqlite_path_;
  std::string url_;
  std::unique_ptr<MeasurementStore> store_;
};

testing::TemporaryPostgres* BatchIdReuseTest::postgres_ = nullptr;
std::string BatchIdReuseTest::why_no_postgres_;

TEST_P(BatchIdReuseTest, TheSameBatchSentAgainIsAnIdempotentDuplicate) {
  const v1::MeasurementBatch batch = Batch("b1", "h100", {1, 2, 3});
  ASSERT_EQ(store_->InsertBatch(batch)->stored, 3);
  for (int resend = 0; resend < 2; ++resend) {
    absl::StatusOr<InsertBatchResult> again = store_->InsertBatch(batch);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->stored, 0);
  }
  ExpectStoredExactly("h100", batch);
}

TEST_P(BatchIdReuseTest, AnIdReusedForOtherMeasurementsIsRefusedAndWritesNothing) {
  const v1::MeasurementBatch original = Batch("b1", "h100", {1, 2, 3});
  ASSERT_EQ(store_->InsertBatch(original)->stored, 3);

  const absl::Status other = store_->InsertBatch(Batch("b1", "h100", {4, 5, 6})).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other.message(),
            "batch id 'b1' already names another batch: its measurements differ (3 stored, 3 sent); nothing was "
            "stored (a new batch needs a new id)");
  v1::MeasurementBatch one_field = original;
  one_field.mutable_measurements(1)->mutable_latency()->set_median_us(99.0);
  const struct {
    const char* what;
    v1::MeasurementBatch batch;
    const char* error;
  } refused[] = {
      {"one more measurement", Batch("b1", "h100", {1, 2, 3, 4}), "its measurements differ (3 stored, 4 sent)"},
      {"one fewer", Batch("b1", "h100", {1, 2}), "its measurements differ (3 stored, 2 sent)"},
      {"another order", Batch("b1", "h100", {3, 2, 1}), "its measurements differ (3 stored, 3 sent)"},
      {"one field of one measurement", one_field, "its measurements differ (3 stored, 3 sent)"},
  };
  for (const auto& [what, batch, error] : refused) {
    const absl::Status status = store_->InsertBatch(batch).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << what << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(error)) << what;
  }

  ExpectStoredExactly("h100", original);
  EXPECT_TRUE(store_->InsertBatch(original)->duplicate) << "the stored batch is untouched, and still its id's";
  v1::MeasurementBatch renamed = Batch("b2", "h100", {4, 5, 6});
  EXPECT_EQ(store_->InsertBatch(renamed)->stored, 3) << "under a new id, the refused measurements go in";
}

TEST_P(BatchIdReuseTest, AnIdReusedForAnotherPlatformIsRefusedAndWritesNothing) {
  const v1::MeasurementBatch original = Batch("b1", "h100", {1, 2, 3});
  ASSERT_EQ(store_->InsertBatch(original)->stored, 3);

  const absl::Status same_measurements = store_->InsertBatch(Batch("b1", "a100", {1, 2, 3})).status();
  EXPECT_EQ(same_measurements.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_measurements.message(),
            "batch id 'b1' already names another batch: it was stored for platform 'h100', not 'a100'; nothing was "
            "stored (a new batch needs a new id)");
  const absl::Status both = store_->InsertBatch(Batch("b1", "a100", {7})).status();
  EXPECT_EQ(both.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(both.message(), HasSubstr("it was stored for platform 'h100', not 'a100', and its measurements differ "
                                        "(3 stored, 1 sent)"));

  EXPECT_TRUE(store_->LoadMeasurements("a100")->empty());
  ExpectStoredExactly("h100", original);
  EXPECT_TRUE(store_->InsertBatch(original)->duplicate);
}

// Senders racing with one id and different measurements, over two connections: one batch is
// stored whole, every other sender is refused, none is taken for a duplicate.
TEST_P(BatchIdReuseTest, RacingSendersOfOneIdStoreOneBatchWhole) {
  std::unique_ptr<MeasurementStore> second = Open();
  ASSERT_NE(second, nullptr);
  constexpr int kSenders = 4;
  std::vector<absl::StatusOr<InsertBatchResult>> results(kSenders, absl::UnknownError("not sent"));
  std::vector<std::thread> senders;
  for (int sender = 0; sender < kSenders; ++sender) {
    MeasurementStore* store = sender % 2 == 0 ? store_.get() : second.get();
    senders.emplace_back([&results, store, sender] {
      results[sender] = store->InsertBatch(Batch("race", "h100", {10 * sender + 1, 10 * sender + 2}));
    });
  }
  for (std::thread& sender : senders) sender.join();
  int winner = -1;
  for (int sender = 0; sender < kSenders; ++sender) {
    if (results[sender].ok()) {
      EXPECT_EQ(winner, -1) << "two senders stored";
      EXPECT_FALSE(results[sender]->duplicate);
      winner = sender;
    } else {
      EXPECT_EQ(results[sender].status().code(), absl::StatusCode::kAlreadyExists) << results[sender].status();
    }
  }
  ASSERT_NE(winner, -1) << "no sender stored";
  ExpectStoredExactly("h100", Batch("race", "h100", {10 * winner + 1, 10 * winner + 2}));
}

INSTANTIATE_TEST_SUITE_P(EachStore, BatchIdReuseTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return Name(info.param); });

}  // namespace
}  // namespace convlat::server
