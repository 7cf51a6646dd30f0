// One measurement per configuration, the fastest, in the order the configurations first appear:
// the rule the fits' samples and the table of measured layers share. Measurements built by hand.
#include "model/measured/fastest_per_configuration.h"

#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

v1::Measurement Conv(const char* spec, double median_us) {
  v1::Measurement m;
  *m.mutable_params() = *ParseConvSpec(spec);
  m.mutable_latency()->set_median_us(median_us);
  return m;
}

v1::Measurement Op(const char* spec, double median_us) {
  v1::Measurement m;
  *m.mutable_op() = *ParseOpSpec(spec);
  m.mutable_latency()->set_median_us(median_us);
  return m;
}

TEST(FastestPerConfigurationTest, KeepsTheFastestOfEachInFirstSeenOrder) {
  const std::vector<v1::Measurement> measurements = {
      Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 9),                           // 0
      Op("op=activation,n=1,c=8,h=8,w=8", 5),                           // 1
      Conv("n=1,c=8,h=8,w=8,k=16,r=3,s=3", 4),                          // 2
      Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3,stride=1,groups=1", 3),         // 3: 0 spelled otherwise, faster
      Op("op=activation,function=RELU,n=1,c=8,h=8,w=8,dtype=fp32", 5),  // 4: 1 again, as fast: 1 stays
      Conv("n=1,c=8,h=8,w=8,k=16,r=3,s=3", 6),                          // 5: slower than 2
  };
  const std::vector<const v1::Measurement*> fastest =
      FastestPerConfiguration(measurements, [](const v1::Measurement&) { return true; });
  ASSERT_EQ(fastest.size(), 3u);
  EXPECT_EQ(fastest[0], &measurements[3]);
  EXPECT_EQ(fastest[1], &measurements[1]);
  EXPECT_EQ(fastest[2], &measurements[2]);
}

TEST(FastestPerConfigurationTest, WhatKeepRefusesIsNeverChosen) {
  std::vector<v1::Measurement> measurements = {Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 9),
                                               Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3", 1)};
  measurements[1].set_noisy(true);
  const std::vector<const v1::Measurement*> fastest =
      FastestPerConfiguration(measurements, [](const v1::Measurement& m) { return !m.noisy(); });
  ASSERT_EQ(fastest.size(), 1u);
  EXPECT_EQ(fastest[0], &measurements[0]);
}

}  // namespace
}  // namespace convlat::model
