// The rule both stores keep for batch ids (server/batch_identity.h): the same batch sent again is
// an idempotent duplicate, which is what makes an agent's retries safe; another batch under an id
// already used (other measurements, another platform) is refused with ALREADY_EXISTS, and nothing
// is written or lost. Every test runs on the SQLite store and on a real PostgreSQL started for
// it (skipped, saying why, where PostgreSQL is not installed). The records are storage fixtures,
// never fitted or reported.

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/message_differencer.h"
#include "server/measurement_store.h"
#include "tests/store/each_store_fixture.h"

namespace convlat::server {
namespace {

using ::convlat::testing::EachStore;
using ::convlat::testing::EachStoreTest;
using ::convlat::testing::StoreTestName;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

class BatchIdReuseTest : public EachStoreTest {
 protected:
  BatchIdReuseTest() : EachStoreTest("batch_reuse") {}

  // The platform's stored measurements are exactly the batch's, in its order.
  void ExpectStoredExactly(const std::string& platform, const v1::MeasurementBatch& batch) {
    absl::StatusOr<std::vector<v1::Measurement>> loaded = store_->LoadMeasurements(platform);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_EQ(loaded->size(), static_cast<size_t>(batch.measurements_size()));
    for (int i = 0; i < batch.measurements_size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals((*loaded)[i], batch.measurements(i))) << i;
    }
  }
};

TEST_P(BatchIdReuseTest, TheSameBatchSentAgainIsAnIdempotentDuplicate) {
  const v1::MeasurementBatch batch = ConvBatch("b1", "h100", {1, 2, 3});
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
  const v1::MeasurementBatch original = ConvBatch("b1", "h100", {1, 2, 3});
  ASSERT_EQ(store_->InsertBatch(original)->stored, 3);

  const absl::Status other = store_->InsertBatch(ConvBatch("b1", "h100", {4, 5, 6})).status();
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
      {"one more measurement", ConvBatch("b1", "h100", {1, 2, 3, 4}), "its measurements differ (3 stored, 4 sent)"},
      {"one fewer", ConvBatch("b1", "h100", {1, 2}), "its measurements differ (3 stored, 2 sent)"},
      {"another order", ConvBatch("b1", "h100", {3, 2, 1}), "its measurements differ (3 stored, 3 sent)"},
      {"one field of one measurement", one_field, "its measurements differ (3 stored, 3 sent)"},
  };
  for (const auto& [what, batch, error] : refused) {
    const absl::Status status = store_->InsertBatch(batch).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << what << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(error)) << what;
  }

  ExpectStoredExactly("h100", original);
  EXPECT_TRUE(store_->InsertBatch(original)->duplicate) << "the stored batch is untouched, and still its id's";
  v1::MeasurementBatch renamed = ConvBatch("b2", "h100", {4, 5, 6});
  EXPECT_EQ(store_->InsertBatch(renamed)->stored, 3) << "under a new id, the refused measurements go in";
}

TEST_P(BatchIdReuseTest, AnIdReusedForAnotherPlatformIsRefusedAndWritesNothing) {
  const v1::MeasurementBatch original = ConvBatch("b1", "h100", {1, 2, 3});
  ASSERT_EQ(store_->InsertBatch(original)->stored, 3);

  const absl::Status same_measurements = store_->InsertBatch(ConvBatch("b1", "a100", {1, 2, 3})).status();
  EXPECT_EQ(same_measurements.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_measurements.message(),
            "batch id 'b1' already names another batch: it was stored for platform 'h100', not 'a100'; nothing was "
            "stored (a new batch needs a new id)");
  const absl::Status both = store_->InsertBatch(ConvBatch("b1", "a100", {7})).status();
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
      results[sender] = store->InsertBatch(ConvBatch("race", "h100", {10 * sender + 1, 10 * sender + 2}));
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
  ExpectStoredExactly("h100", ConvBatch("race", "h100", {10 * winner + 1, 10 * winner + 2}));
}

INSTANTIATE_TEST_SUITE_P(EachStore, BatchIdReuseTest, EachStore(), StoreTestName);

}  // namespace
}  // namespace convlat::server
