// The transfer the server fits from its own store (server/transfer_sources.h), over a real SQLite
// store holding the public T4 and V100 measurements: which source models the stack gets.
#include "server/transfer_sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/interval/training_domain.h"
#include "model/layers/conv_shape.h"
#include "server/measurement_ingest.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::ElementsAre;

using TransferSourcesTest = ServerCoreTest;

// The stack's columns are the sources' own models. A source already served its own fit on the same
// measurements lends that model instead of being fitted again (the start-up transfer over the eight
// public GPUs refitted all eight), and it predicts what a fresh fit would.
TEST_F(TransferSourcesTest, TheSourcesOwnModelsAreTheOnesTheyAreServed) {
  StoreT4AndV100AsSources();
  if (IsSkipped()) return;
  server::TransferSources transfer_sources;
  const server::PublishedModels published = [&](const std::string& name) { return models_->Get(name); };
  absl::StatusOr<std::shared_ptr<const server::SourceTransfer>> lent =
      transfer_sources.For(*store_, "new-gpu", published);
  ASSERT_TRUE(lent.ok()) << lent.status();
  const model::TransferModel& lent_model = *(*lent)->model;
  ASSERT_THAT(lent_model.source_model_names(), ElementsAre("gpu-t4", "gpu-v100"));
  for (size_t i = 0; i < 2; ++i) {
    const auto& served =
        dynamic_cast<const model::DomainCheckedModel&>(*models_->Get(lent_model.source_model_names()[i])->model);
    EXPECT_EQ(lent_model.source_models()[i].get(), &served.model()) << lent_model.source_model_names()[i];
  }
  server::TransferSources unpublished;  // nothing served: each source fitted here
  absl::StatusOr<std::shared_ptr<const server::SourceTransfer>> fitted = unpublished.For(*store_, "new-gpu");
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  const model::TransferModel& fitted_model = *(*fitted)->model;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(fitted_model.source_models()[i].get(), lent_model.source_models()[i].get());
    for (const char* layer : {"n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1", "n=8,c=256,h=14,w=14,k=512,r=3,s=3,pad=1"}) {
      const model::ConvShape shape = model::ResolveConvShape(Conv(layer));
      EXPECT_DOUBLE_EQ(fitted_model.source_models()[i]->Predict(shape).latency_us,
                       lent_model.source_models()[i]->Predict(shape).latency_us)
          << fitted_model.source_model_names()[i] << " " << layer;
    }
  }
}

// Once a source has measured more than the model it is served saw, that model is not what the
// transfer's source is: the transfer fits the source's own model afresh rather than lend a stale one.
TEST_F(TransferSourcesTest, ASourceServedAnOlderFitIsFittedAfresh) {
  StoreT4AndV100AsSources();
  if (IsSkipped()) return;
  const std::shared_ptr<const server::FittedModel> t4_before = models_->Get("gpu-t4");
  v1::Measurement extra = T4Measurements()->front();
  extra.mutable_params()->set_n(extra.params().n() + 1000);  // a configuration the T4 never had
  ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, Batch("extra", "gpu-t4", {extra})).code(), 0);
  const server::PublishedModels stale = [&](const std::string& name) {
    return name == "gpu-t4" ? t4_before : models_->Get(name);
  };
  server::TransferSources transfer_sources;
  absl::StatusOr<std::shared_ptr<const server::SourceTransfer>> transfer =
      transfer_sources.For(*store_, "new-gpu", stale);
  ASSERT_TRUE(transfer.ok()) << transfer.status();
  const model::TransferModel& fitted = *(*transfer)->model;
  ASSERT_THAT(fitted.source_model_names(), ElementsAre("gpu-t4", "gpu-v100"));
  EXPECT_NE(fitted.source_models()[0].get(),
            &dynamic_cast<const model::DomainCheckedModel&>(*t4_before->model).model());
  EXPECT_EQ(fitted.source_models()[1].get(),
            &dynamic_cast<const model::DomainCheckedModel&>(*models_->Get("gpu-v100")->model).model());
  EXPECT_EQ(transfer_sources.cached_source_sets(), 1u);
  models_->WaitUntilIdle();
}

// A source set is kept while its sources' measurement counts stand; once one has measured more, the
// set fitted on the old count is dropped as the new one is fitted, with the source models it held.
TEST_F(TransferSourcesTest, ASetWhoseSourceMeasuredMoreIsDropped) {
  StoreT4AndV100AsSources();
  if (IsSkipped()) return;
  server::TransferSources transfer_sources;
  ASSERT_TRUE(transfer_sources.For(*store_, "new-gpu").ok());  // the T4 and the V100
  ASSERT_TRUE(transfer_sources.For(*store_, "new-gpu").ok());
  ASSERT_TRUE(transfer_sources.For(*store_, "gpu-t4").ok());  // the V100 alone
  EXPECT_EQ(transfer_sources.cached_source_sets(), 2u);
  v1::Measurement extra = T4Measurements()->front();
  extra.mutable_params()->set_n(extra.params().n() + 1000);
  ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, Batch("extra", "gpu-t4", {extra})).code(), 0);
  absl::StatusOr<std::shared_ptr<const server::SourceTransfer>> again = transfer_sources.For(*store_, "new-gpu");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(transfer_sources.cached_source_sets(), 2u);  // the V100 alone, and the T4 at its new count
  models_->WaitUntilIdle();
}

}  // namespace
}  // namespace convlat::testing
