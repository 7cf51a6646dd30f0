#include "model/interval/training_domain.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/interval/prediction_interval.h"
#include "model/latency/roofline_model.h"
#include "model/latency/samples.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

ConvShape Conv(int64_t n, int64_t c, int64_t hw, int64_t k, int64_t rs, int64_t stride = 1, int64_t groups = 1) {
  ConvShape shape{.n = n, .c = c, .h = hw, .w = hw, .k = k, .r = rs, .s = rs, .stride_h = stride, .stride_w = stride};
  shape.pad_h = shape.pad_w = rs / 2;
  shape.groups = groups;
  return shape;
}

// The public T4 data: random 3x3 stride-1 layers, batch 1-64, channels 3-2048, images 5-252.
class TrainingDomainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path =
        DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv";
    ASSERT_TRUE(std::filesystem::exists(path)) << "public dataset not found at " << path;
    absl::StatusOr<NeuSightDataset> data = LoadNeuSightCsv(path);
    ASSERT_TRUE(data.ok()) << data.status();
    samples_ = new std::vector<Sample>(SamplesFromMeasurements(data->measurements));
  }
  static std::vector<Sample>* samples_;
};
std::vector<Sample>* TrainingDomainTest::samples_ = nullptr;

TEST_F(TrainingDomainTest, EveryMeasuredLayerIsInside) {
  const TrainingDomain domain = TrainingDomain::Of(*samples_);
  for (const Sample& s : *samples_) ASSERT_THAT(domain.Outside(s.shape), IsEmpty());
}

TEST_F(TrainingDomainTest, ALayerLikeTheMeasuredOnesIsInside) {
  EXPECT_THAT(TrainingDomain::Of(*samples_).Outside(Conv(8, 256, 28, 256, 3)), IsEmpty());
}

// AlexNet's first classifier layer as a 1x1 convolution on a 1x1 image: nothing like it was timed.
TEST_F(TrainingDomainTest, AClassifiersMatrixProductIsOutsideWithItsReasons) {
  const std::string why = TrainingDomain::Of(*samples_).Outside(Conv(1, 9216, 1, 4096, 1));
  EXPECT_THAT(why, HasSubstr("filter 1x1 (measured: 3x3)"));
  EXPECT_THAT(why, HasSubstr("c=9216 is"));
  EXPECT_THAT(why, HasSubstr("the largest measured"));
  EXPECT_THAT(why, HasSubstr("output pixels=1 is below the smallest measured"));
}

TEST_F(TrainingDomainTest, StridesGroupsAndDataTypesNeverTimedAreOutside) {
  const TrainingDomain domain = TrainingDomain::Of(*samples_);
  EXPECT_THAT(domain.Outside(Conv(1, 64, 56, 64, 3, 2)), HasSubstr("stride 2x2 (measured: 1x1)"));
  EXPECT_THAT(domain.Outside(Conv(1, 64, 56, 64, 3, 1, 64)), HasSubstr("depthwise (measured: dense)"));
  EXPECT_THAT(domain.Outside(Conv(1, 64, 56, 128, 3, 1, 32)), HasSubstr("grouped (measured: dense)"));
  ConvShape half = Conv(1, 64, 56, 64, 3);
  half.dtype = v1::DATA_TYPE_FP16;
  EXPECT_THAT(domain.Outside(half), HasSubstr("DATA_TYPE_FP16 (measured: DATA_TYPE_FP32)"));
  ConvShape dilated = Conv(1, 64, 56, 64, 3);
  dilated.dilation_h = dilated.dilation_w = 2;
  EXPECT_THAT(domain.Outside(dilated), HasSubstr("dilation 2x2 (measured: 1x1)"));
}

// Sizes a little past the measured range are the staircase's to continue; far past, not.
TEST_F(TrainingDomainTest, SizesOutsideOnlyBeyondTheTolerance) {
  const TrainingDomain domain = TrainingDomain::Of(*samples_);
  const std::map<std::string, double> range = domain.parameters();
  const auto largest_c = static_cast<int64_t>(range.at("domain.c.max"));
  EXPECT_THAT(domain.Outside(Conv(1, largest_c + 1, 14, 64, 3)), IsEmpty());
  EXPECT_THAT(domain.Outside(Conv(1, 2 * largest_c, 14, 64, 3)), HasSubstr("c="));
  EXPECT_EQ(range.at("domain.filters"), 1);
}

// A kind is a filter, stride, dilation, grouping or data type; sizes far beyond the range are
// outside (Outside) but of no new kind.
TEST_F(TrainingDomainTest, NewKindsAreFiltersStridesGroupingsNotSizes) {
  const TrainingDomain t4 = TrainingDomain::Of(*samples_);
  EXPECT_FALSE(t4.NewKind(Conv(1, 64, 56, 64, 3)));
  EXPECT_FALSE(t4.NewKind(Conv(1, 9216, 1, 4096, 3)));  // far too many channels: outside, not a new kind
  EXPECT_THAT(t4.Outside(Conv(1, 9216, 1, 4096, 3)), HasSubstr("c="));
  EXPECT_TRUE(t4.NewKind(Conv(1, 64, 56, 64, 1)));
  EXPECT_TRUE(t4.NewKind(Conv(1, 64, 56, 128, 3, 2)));
  EXPECT_TRUE(t4.NewKind(Conv(1, 64, 56, 64, 3, 1, 64)));
  EXPECT_FALSE(TrainingDomain::Of({}).NewKind(Conv(1, 64, 56, 64, 1)));
}

// The T4 measured 3x3 stride-1 layers only: a GPU that also timed 1x1 ones measured kinds beyond
// it, not the reverse, and a GPU of the same kinds none.
TEST_F(TrainingDomainTest, ADomainHasKindsBeyondAnotherWhereItMeasuredOneTheOtherDidNot) {
  const TrainingDomain t4 = TrainingDomain::Of(*samples_);
  std::vector<Sample> with_1x1(samples_->begin(), samples_->begin() + 10);
  with_1x1.push_back({Conv(1, 64, 56, 64, 1), 10});
  const TrainingDomain broader = TrainingDomain::Of(with_1x1);
  EXPECT_TRUE(broader.HasKindsBeyond(t4));
  EXPECT_FALSE(t4.HasKindsBeyond(broader));
  EXPECT_FALSE(t4.HasKindsBeyond(TrainingDomain::Of(std::vector<Sample>(samples_->begin(), samples_->begin() + 10))));
  EXPECT_FALSE(TrainingDomain::Of({}).HasKindsBeyond(t4));
}

TEST(TrainingDomainWithoutSamplesTest, NothingIsOutside) {
  EXPECT_THAT(TrainingDomain::Of({}).Outside(Conv(1, 9216, 1, 4096, 1)), IsEmpty());
  EXPECT_THAT(TrainingDomain::Of({}).parameters(), IsEmpty());
}

// The served model marks what is outside and leaves the rest as its model predicts it; intervals
// then give the marked layers the assumed interval, uncalibrated.
TEST_F(TrainingDomainTest, TheCheckedModelMarksExtrapolationsAndTheirIntervalsAreAssumed) {
  absl::StatusOr<std::unique_ptr<RooflineModel>> roofline = RooflineModel::Fit(*samples_);
  ASSERT_TRUE(roofline.ok()) << roofline.status();
  const LatencyModel& inner = **roofline;
  std::vector<HeldOutResidual> residuals;
  for (size_t i = 0; i < samples_->size(); i += 5)
    residuals.push_back({inner.Predict((*samples_)[i].shape), (*samples_)[i].latency_us});
  const PredictionIntervals intervals = PredictionIntervals::Calibrate(residuals);
  const DomainCheckedModel checked(std::move(*roofline), TrainingDomain::Of(*samples_));

  Prediction inside = checked.Predict(Conv(8, 256, 28, 256, 3));
  EXPECT_THAT(inside.explanation.extrapolation(), IsEmpty());
  EXPECT_EQ(inside.latency_us, checked.model().Predict(Conv(8, 256, 28, 256, 3)).latency_us);
  intervals.Apply(inside);
  EXPECT_TRUE(inside.interval_calibrated);

  Prediction outside = checked.Predict(Conv(1, 9216, 1, 4096, 1));
  EXPECT_THAT(outside.explanation.extrapolation(), HasSubstr("filter 1x1"));
  intervals.Apply(outside);
  EXPECT_FALSE(outside.interval_calibrated);
  EXPECT_LT(outside.p10_us, outside.latency_us);
  EXPECT_GT(outside.p90_us, 2 * outside.latency_us);
  EXPECT_EQ(checked.kind(), "roofline-linear");
  EXPECT_TRUE(checked.parameters().contains("domain.c.max"));
}

}  // namespace
}  // namespace convlat::model
