// One batch of an agent's stream, stored or refused by the core function the stream calls; no
// channel, a real SQLite store.
#include "server/measurement_ingest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;

class MeasurementIngestTest : public ServerCoreTest {
 protected:
  void SetUp() override {
    ServerCoreTest::SetUp();
    Register("cpu");
  }
  v1::PushAck Store(const v1::MeasurementBatch& batch) {
    return server::StoreBatch(*store_, *models_, metrics_, batch);
  }

  const std::vector<v1::Measurement> convs_ = CpuMeasurements("staircase.csv");
};

TEST_F(MeasurementIngestTest, EachBatchIsStoredOnceAndRefitsItsPlatform) {
  v1::PushAck ack = Store(Batch("b1", "cpu", convs_, 0, 10));
  EXPECT_EQ(ack.batch_id(), "b1");
  EXPECT_EQ(ack.code(), 0);
  EXPECT_EQ(ack.stored(), 10);
  EXPECT_FALSE(ack.duplicate());
  EXPECT_EQ(Store(Batch("b2", "cpu", convs_, 10, 5)).stored(), 5);
  ack = Store(Batch("b1", "cpu", convs_, 0, 10));
  EXPECT_TRUE(ack.duplicate());
  EXPECT_EQ(ack.stored(), 0);
  EXPECT_EQ(ack.code(), 0);
  EXPECT_EQ(SampleCount("cpu"), 15);
  models_->WaitUntilIdle();
  ASSERT_NE(models_->Get("cpu"), nullptr) << models_->LastFitError("cpu");
  EXPECT_EQ(models_->Get("cpu")->info.sample_count(), 15);
}

// The reason travels in the ack, naming the field; nothing stored before is lost.
TEST_F(MeasurementIngestTest, BadBatchesAreRefusedInTheirAck) {
  ASSERT_EQ(Store(Batch("good", "cpu", convs_, 0, 10)).code(), 0);
  const std::vector<v1::Measurement> ops = CpuOpMeasurements();

  v1::MeasurementBatch bad_conv = Batch("bad-conv", "cpu", convs_, 20, 3);
  bad_conv.mutable_measurements(1)->mutable_params()->set_k(0);
  v1::MeasurementBatch bad_op = Batch("bad-op", "cpu", ops, 0, 1);
  bad_op.mutable_measurements(0)->mutable_op()->set_c(0);
  v1::MeasurementBatch both = Batch("both", "cpu", ops, 1, 1);
  *both.mutable_measurements(0)->mutable_params() = Conv("n=1,c=8,h=8,w=8,k=8,r=1,s=1");
  const struct {
    v1::MeasurementBatch batch;
    absl::StatusCode code;
    const char* error;
  } refused[] = {
      {bad_conv, absl::StatusCode::kInvalidArgument, "measurements[1].params.k must be > 0"},
      {bad_op, absl::StatusCode::kInvalidArgument, "measurements[0].op.c must be > 0"},
      {both, absl::StatusCode::kInvalidArgument, "measurements[0].params must be unset when op is set"},
      {Batch("", "cpu", convs_, 0, 1), absl::StatusCode::kInvalidArgument, "batch_id is required"},
      {Batch("lost", "nowhere", convs_, 0, 1), absl::StatusCode::kNotFound, "platform 'nowhere' is not registered"},
  };
  for (const auto& [batch, code, error] : refused) {
    const v1::PushAck ack = Store(batch);
    EXPECT_EQ(ack.batch_id(), batch.batch_id());
    EXPECT_EQ(ack.code(), static_cast<int>(code)) << error;
    EXPECT_THAT(ack.error(), HasSubstr(error));
    EXPECT_EQ(ack.stored(), 0);
  }
  EXPECT_EQ(SampleCount("cpu"), 10);
}

// A batch id already used for another batch is refused in the ack, naming the id and what
// differs; the stored batch stays as it was, and is still acknowledged as a duplicate when resent.
TEST_F(MeasurementIngestTest, AnIdReusedForAnotherBatchIsRefusedInTheAck) {
  Register("gpu");
  ASSERT_EQ(Store(Batch("b1", "cpu", convs_, 0, 10)).stored(), 10);
  const v1::PushAck other_measurements = Store(Batch("b1", "cpu", convs_, 10, 10));
  EXPECT_EQ(other_measurements.batch_id(), "b1");
  EXPECT_EQ(other_measurements.code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(other_measurements.error(),
            "batch id 'b1' already names another batch: its measurements differ (10 stored, 10 sent); nothing was "
            "stored (a new batch needs a new id)");
  EXPECT_EQ(other_measurements.stored(), 0);
  EXPECT_FALSE(other_measurements.duplicate());
  const v1::PushAck other_platform = Store(Batch("b1", "gpu", convs_, 0, 10));
  EXPECT_EQ(other_platform.code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(other_platform.error(), HasSubstr("batch id 'b1' already names another batch: it was stored for "
                                                "platform 'cpu', not 'gpu'"));
  EXPECT_TRUE(Store(Batch("b1", "cpu", convs_, 0, 10)).duplicate());
  EXPECT_EQ(SampleCount("cpu"), 10);
  EXPECT_EQ(SampleCount("gpu"), 0);
}

}  // namespace
}  // namespace convlat::testing
