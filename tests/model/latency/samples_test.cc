#include "model/latency/samples.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"

namespace convlat::model {
namespace {

TEST(SamplesTest, SkipsFailedMeasurements) {
  std::vector<v1::Measurement> measurements(3);
  for (auto& m : measurements) {
    *m.mutable_params() = *ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
    m.mutable_latency()->set_median_us(5);
  }
  measurements[1].set_failed(true);
  measurements[2].mutable_latency()->set_median_us(0);
  EXPECT_EQ(SamplesFromMeasurements(measurements).size(), 1u);
}

TEST(SamplesTest, KeepsTheFastestAlgorithmOfEachLayer) {
  // `--algo all` records every algorithm of a layer; the model learns the one a framework would run.
  auto measured = [](const char* spec, double median_us, const char* kernel) {
    v1::Measurement m;
    *m.mutable_params() = *ParseConvSpec(spec);
    m.mutable_latency()->set_median_us(median_us);
    m.add_kernels()->set_name(kernel);
    return m;
  };
  const std::vector<v1::Measurement> measurements = {
      measured("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 9, "slow_a"),
      measured("n=1,c=8,h=8,w=8,k=16,r=3,s=3", 4, "other_layer"),
      measured("n=1,c=8,h=8,w=8,k=8,r=3,s=3,stride=1", 3, "fast"),  // same layer, spelled differently
      measured("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 7, "slow_b"),
  };
  const std::vector<Sample> samples = SamplesFromMeasurements(measurements);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].latency_us, 3);
  EXPECT_EQ(samples[0].kernel, "fast");
  EXPECT_EQ(samples[1].kernel, "other_layer");
}

}  // namespace
}  // namespace convlat::model
