// The table of measured configurations: one entry per configuration as the fits would see it
// (normalized), the fastest algorithm's, nothing failed or flagged noisy. The measurements are
// built by hand: the table is a lookup, its inputs are whatever the store returns.
#include "model/measured/measured_layers.h"

#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

v1::Measurement ConvMeasurement(const std::string& spec, double median_us, const std::string& algorithm = "gemm") {
  v1::Measurement m;
  *m.mutable_params() = *ParseConvSpec(spec);
  m.set_algorithm(algorithm);
  m.mutable_latency()->set_median_us(median_us);
  m.mutable_latency()->set_p10_us(0.9 * median_us);
  m.mutable_latency()->set_p90_us(1.2 * median_us);
  return m;
}

v1::Measurement OpMeasurement(const std::string& spec, double median_us) {
  v1::Measurement m;
  *m.mutable_op() = *ParseOpSpec(spec);
  m.mutable_latency()->set_median_us(median_us);
  return m;
}

TEST(MeasuredLayersTest, FindsAConfigurationHoweverItsDefaultsAreSpelled) {
  v1::Measurement timed = ConvMeasurement("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1", 410);
  timed.mutable_hot_latency()->set_median_us(300);
  const MeasuredLayers table = MeasuredLayers::FromMeasurements({timed});
  ASSERT_EQ(table.size(), 1u);
  v1::ConvParams query = *ParseConvSpec("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1,stride=1,dilation=1,groups=1");
  const MeasuredLatency* found = table.FindConv(query);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, (MeasuredLatency{.median_us = 410, .p10_us = 369, .p90_us = 492, .hot_median_us = 300}));
  // Another batch, layout or padding is another configuration.
  EXPECT_EQ(table.FindConv(*ParseConvSpec("n=2,c=64,h=56,w=56,k=64,r=3,s=3,pad=1")), nullptr);
  query.set_layout(v1::LAYOUT_NATIVE);
  EXPECT_EQ(table.FindConv(query), nullptr);
  EXPECT_EQ(table.FindConv(*ParseConvSpec("n=1,c=64,h=56,w=56,k=64,r=3,s=3")), nullptr);
  // The served path looks up the shape it predicts: the same entry.
  EXPECT_EQ(table.FindConv(ResolveConvShape(*ParseConvSpec("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1"))), found);
  EXPECT_EQ(table.FindConv(ResolveConvShape(*ParseConvSpec("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1,math=tensor_op"))),
            nullptr);
}

TEST(MeasuredLayersTest, AConvolutionTimedWithSeveralAlgorithmsIsItsFastest) {
  const MeasuredLayers table =
      MeasuredLayers::FromMeasurements({ConvMeasurement("n=1,c=32,h=28,w=28,k=32,r=3,s=3", 90, "implicit_gemm"),
                                        ConvMeasurement("n=1,c=32,h=28,w=28,k=32,r=3,s=3", 40, "winograd"),
                                        ConvMeasurement("n=1,c=32,h=28,w=28,k=32,r=3,s=3", 70, "fft")});
  const MeasuredLatency* found = table.FindConv(*ParseConvSpec("n=1,c=32,h=28,w=28,k=32,r=3,s=3"));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->median_us, 40);
  EXPECT_EQ(found->hot_median_us, 0);  // not timed hot
}

TEST(MeasuredLayersTest, FailedNoisyAndEmptyTimingsAreNotAnswered) {
  v1::Measurement failed = ConvMeasurement("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 10);
  failed.set_failed(true);
  v1::Measurement noisy = ConvMeasurement("n=1,c=8,h=8,w=8,k=16,r=3,s=3", 10);
  noisy.set_noisy(true);
  const v1::Measurement zero = ConvMeasurement("n=1,c=8,h=8,w=8,k=24,r=3,s=3", 0);
  const MeasuredLayers table = MeasuredLayers::FromMeasurements({failed, noisy, zero});
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.FindConv(failed.params()), nullptr);
  EXPECT_EQ(table.FindConv(noisy.params()), nullptr);
}

TEST(MeasuredLayersTest, OpsAreFoundByTheirNormalizedParameters) {
  const MeasuredLayers table =
      MeasuredLayers::FromMeasurements({OpMeasurement("op=avg_pool,n=1,c=192,h=37,w=37,kernel=3", 4207),
                                        OpMeasurement("op=activation,function=relu,n=1,c=64,h=56,w=56", 120)});
  ASSERT_EQ(table.size(), 2u);
  v1::OpParams pool = *ParseOpSpec("op=avg_pool,n=1,c=192,h=37,w=37,kernel=3");
  const MeasuredLatency* found = table.FindOp(pool);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->median_us, 4207);
  NormalizeOpParams(pool);  // as a network's importer hands it over: the same configuration
  ASSERT_NE(table.FindOp(pool), nullptr);
  EXPECT_EQ(table.FindOp(*ParseOpSpec("op=activation,function=sigmoid,n=1,c=64,h=56,w=56")), nullptr);
  EXPECT_EQ(table.FindOp(*ParseOpSpec("op=avg_pool,n=1,c=192,h=37,w=37,kernel=3,stride=2")), nullptr);
}

TEST(MeasuredLayersTest, AnEmptyTableFindsNothing) {
  const MeasuredLayers table;
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.FindConv(*ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3")), nullptr);
  EXPECT_EQ(table.FindOp(*ParseOpSpec("op=activation,function=relu,n=1,c=8,h=8,w=8")), nullptr);
}

}  // namespace
}  // namespace convlat::model
