#include "model/layers/conv_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/message_differencer.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

TEST(ConvSpecTest, ParsesAllKeys) {
  absl::StatusOr<v1::ConvParams> p = ParseConvSpec(
      " n=2, c=64,h=56,w=57,k=128,r=3,s=5,stride_h=2,stride_w=1,pad=1,dilation=2,groups=4,"
      "dtype=bf16,layout=NHWC,math=tensor_op");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->n(), 2);
  EXPECT_EQ(p->w(), 57);
  EXPECT_EQ(p->s(), 5);
  EXPECT_EQ(p->stride_h(), 2);
  EXPECT_EQ(p->stride_w(), 1);
  EXPECT_EQ(p->pad_h(), 1);
  EXPECT_EQ(p->pad_w(), 1);
  EXPECT_EQ(p->dilation_w(), 2);
  EXPECT_EQ(p->groups(), 4);
  EXPECT_EQ(p->dtype(), v1::DATA_TYPE_BF16);
  EXPECT_EQ(p->layout(), v1::LAYOUT_NHWC);
  EXPECT_EQ(p->math_mode(), v1::MATH_MODE_TENSOR_OP);
}

TEST(ConvSpecTest, FormatThenParseRoundTrips) {
  for (const char* text : {"n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1",
                           "n=8,c=32,h=112,w=112,k=32,r=3,s=3,stride=2,pad=1,groups=32,dtype=fp16,layout=nhwc",
                           "n=1,c=3,h=9,w=7,k=4,r=3,s=1,stride_h=2,stride_w=1,pad_h=1,pad_w=0,dilation=2",
                           "n=1,c=32,h=28,w=28,k=32,r=3,s=3,pad=1,groups=32,layout=native"}) {
    absl::StatusOr<v1::ConvParams> parsed = ParseConvSpec(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(FormatConvSpec(*parsed), text);
    absl::StatusOr<v1::ConvParams> again = ParseConvSpec(FormatConvSpec(*parsed));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*parsed, *again));
  }
}

TEST(ConvSpecTest, ErrorsNameTheKey) {
  EXPECT_THAT(ParseConvSpec("n=1,x=3").status().message(), HasSubstr("unknown conv key 'x'"));
  EXPECT_THAT(ParseConvSpec("n=one").status().message(), HasSubstr("value of n is not an integer"));
  EXPECT_THAT(ParseConvSpec("n=1,c").status().message(), HasSubstr("'c' is not key=value"));
  EXPECT_THAT(ParseConvSpec("dtype=fp64").status().message(), HasSubstr("unknown dtype 'fp64'"));
  EXPECT_THAT(ParseConvSpec("layout=chwn").status().message(), HasSubstr("unknown layout"));
  EXPECT_THAT(ParseConvSpec("  ").status().message(), HasSubstr("empty conv spec"));
  EXPECT_THAT(ParseConvSpec("n=99999999999").status().message(), HasSubstr("not an integer"));
}

}  // namespace
}  // namespace convlat::model
