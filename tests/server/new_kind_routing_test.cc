// A GPU profiled with 3x3 stride-1 layers only, next to one that measured every kind, through the
// core functions over a real SQLite store: the layers of kinds it never measured are answered by the
// transfer stacked over the other GPU (server/new_kind_routing.h, model/kind_routed_model.h), on the
// public Justus TensorFlow data: the K40 measured every kind, the K80 is given its 3x3 stride-1
// layers alone and judged on the rest of its real measurements.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/public_datasets.h"
#include "model/latency/samples.h"
#include "model/serving_model.h"
#include "server/layer_query.h"
#include "server/platform_query.h"
#include "server/platform_registration.h"
#include "tests/server/core_fixture.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool Is3x3Stride1(const v1::ConvParams& p) {
  return p.r() == 3 && p.s() == 3 && p.stride_h() == 1 && p.stride_w() == 1 && p.groups() <= 1;
}

class NewKindRoutingTest : public ServerCoreTest {
 protected:
  void SetUp() override {
    ServerCoreTest::SetUp();
    const std::string dir = model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public");
    for (const char* name : {"gpu-k40-justus", "gpu-k80-justus"}) {
      absl::StatusOr<model::RecordedPlatform> recorded =
          model::LoadPublicPlatform(*model::FindPublicPlatform(name), dir, "test");
      if (!recorded.ok()) GTEST_SKIP() << "public datasets not found: " << recorded.status();
      (std::string(name) == "gpu-k40-justus" ? k40_ : k80_) = *std::move(recorded);
    }
    for (const v1::Measurement& m : k80_.measurements) (Is3x3Stride1(m.params()) ? k80_3x3_ : k80_other_).push_back(m);
  }

  void StoreAs(const std::string& name, v1::Platform platform, const std::vector<v1::Measurement>& measurements) {
    platform.set_name(name);
    v1::RegisterPlatformRequest request;
    *request.mutable_platform() = std::move(platform);
    v1::RegisterPlatformResponse response;
    ASSERT_TRUE(server::RegisterPlatform(*store_, request, response).ok());
    // At most 10,000 layers: what one push may carry.
    const size_t count = std::min<size_t>(measurements.size(), 10000);
    ASSERT_NO_FATAL_FAILURE(StoreAndFit(name, {measurements.begin(), measurements.begin() + count}));
    ASSERT_NE(models_->Get(name), nullptr) << models_->LastFitError(name);
  }

  // Every 30th of the K80's layers of other kinds, predicted on `platform`.
  v1::PredictResponse PredictOtherKinds(const std::string& platform, std::vector<double>* measured_us) {
    v1::PredictRequest request;
    request.set_platform(platform);
    for (size_t i = 0; i < k80_other_.size(); i += 30) {
      *request.add_layers() = k80_other_[i].params();
      measured_us->push_back(k80_other_[i].latency().median_us());
    }
    v1::PredictResponse response;
    EXPECT_TRUE(server::PredictLayers(core(), request, response).ok());
    return response;
  }

  model::RecordedPlatform k40_, k80_;
  std::vector<v1::Measurement> k80_3x3_, k80_other_;
};

TEST_F(NewKindRoutingTest, KindsAGpuNeverMeasuredAreAnsweredByTheTransferOverOneThatDid) {
  ASSERT_NO_FATAL_FAILURE(StoreAs("k40", k40_.platform, k40_.measurements));
  ASSERT_NO_FATAL_FAILURE(StoreAs("k80-3x3", k80_.platform, k80_3x3_));

  std::vector<double> measured;
  const v1::PredictResponse response = PredictOtherKinds("k80-3x3", &measured);
  ASSERT_EQ(response.predictions_size(), static_cast<int>(measured.size()));
  double routed_error = 0;
  for (int i = 0; i < response.predictions_size(); ++i) {
    const v1::LayerPrediction& p = response.predictions(i);
    EXPECT_THAT(p.explanation().transfer(), HasSubstr("a kind of layer this platform never measured"));
    EXPECT_THAT(p.explanation().transfer(), HasSubstr("over the own models of k40"));
    EXPECT_TRUE(p.explanation().new_kind_transferred());
    EXPECT_FALSE(p.explanation().extrapolation().empty());  // still never timed here: the assumed interval
    EXPECT_FALSE(p.interval_calibrated());
    routed_error += std::abs(p.latency_us() / measured[i] - 1);
  }
  // What the K80's own fit on its 3x3 stride-1 layers would have said instead.
  absl::StatusOr<std::unique_ptr<model::LatencyModel>> own =
      model::FitLatencyModel(model::SamplesFromMeasurements(k80_3x3_), model::HardwareOf(k80_.platform));
  ASSERT_TRUE(own.ok()) << own.status();
  double own_error = 0;
  for (size_t i = 0, j = 0; i < k80_other_.size(); i += 30, ++j) {
    own_error +=
        std::abs((*own)->Predict(model::ResolveConvShape(k80_other_[i].params())).latency_us / measured[j] - 1);
  }
  EXPECT_LT(routed_error, 0.7 * own_error) << "MAPE " << 100 * routed_error / measured.size() << " % routed, "
                                           << 100 * own_error / measured.size() << " % by the own fit";

  // Its own kind stays what it was: here, with 437 layers, its own fit blended with the transfer.
  v1::PredictRequest request;
  request.set_platform("k80-3x3");
  *request.add_layers() = k80_3x3_.front().params();
  v1::PredictResponse own_kind;
  ASSERT_TRUE(server::PredictLayers(core(), request, own_kind).ok());
  EXPECT_THAT(own_kind.predictions(0).explanation().transfer(), Not(HasSubstr("never measured")));
  EXPECT_FALSE(own_kind.predictions(0).explanation().new_kind_transferred());
  EXPECT_EQ(own_kind.predictions(0).explanation().model_kind(), models_->Get("k80-3x3")->info.model_kind());

  // A grouped convolution neither GPU measured: the transfer over the K40 would extrapolate as much as
  // the K80's own fit, which keeps it, marked.
  v1::ConvParams grouped = k80_3x3_.front().params();
  grouped.set_c(64);
  grouped.set_k(64);
  grouped.set_groups(2);
  request.clear_layers();
  *request.add_layers() = grouped;
  v1::PredictResponse grouped_answer;
  ASSERT_TRUE(server::PredictLayers(core(), request, grouped_answer).ok());
  EXPECT_FALSE(grouped_answer.predictions(0).explanation().new_kind_transferred());
  EXPECT_THAT(grouped_answer.predictions(0).explanation().extrapolation(), HasSubstr("grouped"));

  v1::GetPlatformModelRequest describe;
  describe.set_platform("k80-3x3");
  v1::PlatformModel described;
  ASSERT_TRUE(server::DescribePlatformModel(core(), describe, described).ok());
  EXPECT_TRUE(described.parameters().contains("new_kinds.transfer.stack_weight.k40"));
  EXPECT_FALSE(described.transferred());
}

// Fitted before the GPU that measured more kinds is, the narrow one is refitted when it is.
TEST_F(NewKindRoutingTest, ANarrowGpuFittedFirstIsRoutedWhenABroaderOneIsServed) {
  ASSERT_NO_FATAL_FAILURE(StoreAs("k80-3x3", k80_.platform, k80_3x3_));
  std::vector<double> measured;
  EXPECT_EQ(PredictOtherKinds("k80-3x3", &measured).predictions(0).explanation().transfer(), "");
  ASSERT_NO_FATAL_FAILURE(StoreAs("k40", k40_.platform, k40_.measurements));
  models_->WaitUntilIdle();
  measured.clear();
  EXPECT_THAT(PredictOtherKinds("k80-3x3", &measured).predictions(0).explanation().transfer(),
              HasSubstr("a kind of layer this platform never measured"));
}

// Across frameworks nothing shows that the stack carries: a GPU timed through PyTorch (the public
// T4, 3x3 stride-1 layers only) keeps its own fit's extrapolations beside the TensorFlow K40.
TEST_F(NewKindRoutingTest, AGpuTimedThroughAnotherFrameworkKeepsItsOwnFit) {
  ASSERT_NO_FATAL_FAILURE(StoreAs("k40", k40_.platform, k40_.measurements));
  ASSERT_NO_FATAL_FAILURE(FitT4());
  v1::PredictRequest request;
  request.set_platform("t4");
  *request.add_layers() = k80_other_.front().params();
  v1::PredictResponse response;
  ASSERT_TRUE(server::PredictLayers(core(), request, response).ok());
  EXPECT_EQ(response.predictions(0).explanation().transfer(), "");
  EXPECT_FALSE(response.predictions(0).explanation().new_kind_transferred());
  EXPECT_FALSE(response.predictions(0).explanation().extrapolation().empty());
}

}  // namespace
}  // namespace convlat::testing
