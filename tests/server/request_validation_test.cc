#include "server/request_validation.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"

namespace convlat::server {
namespace {

using ::testing::HasSubstr;

v1::MeasurementBatch GoodBatch() {
  v1::MeasurementBatch batch;
  batch.set_batch_id("agent-1");
  batch.set_platform("cpu-box");
  v1::Measurement* m = batch.add_measurements();
  *m->mutable_params() = *model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1");
  m->mutable_latency()->set_median_us(12.5);
  return batch;
}

TEST(RequestValidationTest, PlatformNames) {
  EXPECT_TRUE(ValidatePlatformName("jetson-nano_2.0", "platform").ok());
  EXPECT_THAT(ValidatePlatformName("", "platform").message(), HasSubstr("platform is required"));
  EXPECT_THAT(ValidatePlatformName("a b", "platform.name").message(), HasSubstr("platform.name 'a b' may only"));
  EXPECT_THAT(ValidatePlatformName(std::string(65, 'x'), "platform").message(), HasSubstr("longer than 64"));
}

TEST(RequestValidationTest, FieldPathsNestUnderTheMessagesPath) {
  EXPECT_EQ(FieldPath("", "batch"), "batch");
  EXPECT_EQ(FieldPath("networks[2]", "layers.layers"), "networks[2].layers.layers");
}

TEST(RequestValidationTest, GoodBatchPasses) { EXPECT_TRUE(ValidateBatch(GoodBatch()).ok()); }

TEST(RequestValidationTest, BatchErrorsNameTheField) {
  v1::MeasurementBatch batch = GoodBatch();
  batch.clear_batch_id();
  EXPECT_THAT(ValidateBatch(batch).message(), HasSubstr("batch_id is required"));

  batch = GoodBatch();
  batch.clear_measurements();
  EXPECT_THAT(ValidateBatch(batch).message(), HasSubstr("measurements must not be empty"));

  batch = GoodBatch();
  batch.mutable_measurements(0)->mutable_params()->set_c(6);
  batch.mutable_measurements(0)->mutable_params()->set_groups(4);
  EXPECT_THAT(ValidateBatch(batch).message(), HasSubstr("measurements[0].params.groups"));

  batch = GoodBatch();
  batch.mutable_measurements(0)->mutable_latency()->set_median_us(std::nan(""));
  EXPECT_THAT(ValidateBatch(batch).message(), HasSubstr("measurements[0].latency.median_us"));

  batch = GoodBatch();
  batch.mutable_measurements(0)->set_failed(true);
  EXPECT_THAT(ValidateBatch(batch).message(), HasSubstr("measurements[0].failure_reason is required"));
  batch.mutable_measurements(0)->set_failure_reason("unsupported");
  batch.mutable_measurements(0)->mutable_latency()->set_median_us(0);
  EXPECT_TRUE(ValidateBatch(batch).ok());
}

TEST(RequestValidationTest, LayerLimits) {
  google::protobuf::RepeatedPtrField<v1::ConvParams> layers;
  EXPECT_THAT(ValidateLayers(layers, "layers").message(), HasSubstr("layers must not be empty"));
  *layers.Add() = *model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
  *layers.Add() = *model::ParseConvSpec("n=1,c=8,h=8,w=8,k=-8,r=3,s=3");
  EXPECT_THAT(ValidateLayers(layers, "layers").message(), HasSubstr("layers[1].k must be > 0, got -8"));
}

}  // namespace
}  // namespace convlat::server
