#include "model/layers/conv_shape.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/layers/features.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

v1::ConvParams Spec(absl::string_view text) {
  absl::StatusOr<v1::ConvParams> params = ParseConvSpec(text);
  EXPECT_TRUE(params.ok()) << params.status();
  return *params;
}

TEST(ConvShapeTest, ResolvesDefaultsAndOutputSize) {
  const ConvShape shape = ResolveConvShape(Spec("n=2,c=64,h=56,w=56,k=128,r=3,s=3,stride=2,pad=1"));
  EXPECT_EQ(shape.p(), 28);
  EXPECT_EQ(shape.q(), 28);
  EXPECT_EQ(shape.groups, 1);
  EXPECT_EQ(shape.dilation_h, 1);
  EXPECT_EQ(shape.dtype, v1::DATA_TYPE_FP32);
  EXPECT_EQ(shape.layout, v1::LAYOUT_NCHW);
}

TEST(ConvShapeTest, DilationWidensTheKernel) {
  const ConvShape shape = ResolveConvShape(Spec("n=1,c=8,h=32,w=32,k=8,r=3,s=3,dilation=2"));
  EXPECT_EQ(shape.p(), 28);  // effective kernel 5
}

TEST(ConvShapeTest, AcceptsRealLayers) {
  EXPECT_TRUE(ValidateConvParams(Spec("n=1,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3"), "").ok());
  EXPECT_TRUE(ValidateConvParams(Spec("n=1,c=32,h=112,w=112,k=32,r=3,s=3,pad=1,groups=32"), "").ok());
}

struct BadCase {
  const char* spec;
  const char* expected_message;
};

class ConvValidationTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConvValidationTest, RejectsWithFieldName) {
  const absl::Status status = ValidateConvParams(Spec(GetParam().spec), "layers[3]");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(GetParam().expected_message));
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, ConvValidationTest,
    ::testing::Values(BadCase{"n=0,c=3,h=8,w=8,k=4,r=3,s=3", "layers[3].n must be > 0, got 0"},
                      BadCase{"n=1,c=-3,h=8,w=8,k=4,r=3,s=3", "layers[3].c must be > 0, got -3"},
                      BadCase{"n=1,c=3,h=8,w=8,k=0,r=3,s=3", "layers[3].k must be > 0"},
                      BadCase{"n=1,c=3,h=8,w=8,k=4,r=3,s=3,stride=-1", "layers[3].stride_h"},
                      BadCase{"n=1,c=3,h=8,w=8,k=4,r=3,s=3,pad=-1", "layers[3].pad_h must be >= 0"},
                      BadCase{"n=1,c=3,h=4,w=8,k=4,r=7,s=3", "layers[3].r"},
                      BadCase{"n=1,c=3,h=8,w=4,k=4,r=3,s=7,pad=1", "layers[3].s"},
                      BadCase{"n=1,c=3,h=8,w=8,k=4,r=3,s=3,dilation=4", "larger than the padded input"},
                      BadCase{"n=1,c=6,h=8,w=8,k=4,r=3,s=3,groups=4", "layers[3].groups (4) must divide c (6)"},
                      BadCase{"n=1,c=8,h=8,w=8,k=6,r=3,s=3,groups=4", "must divide k (6)"},
                      BadCase{"n=100000,c=1000,h=100,w=100,k=4,r=1,s=1", "2^31"}));

TEST(ConvValidationTest, RejectsUnknownEnumValue) {
  v1::ConvParams params = Spec("n=1,c=3,h=8,w=8,k=4,r=3,s=3");
  params.set_dtype(static_cast<v1::DataType>(42));
  const absl::Status status = ValidateConvParams(params, "");
  EXPECT_THAT(status.message(), HasSubstr("dtype"));
}

TEST(FeaturesTest, ImplicitGemmMapping) {
  const ConvFeatures f = ComputeFeatures(ResolveConvShape(Spec("n=2,c=64,h=56,w=56,k=128,r=3,s=3,pad=1")));
  EXPECT_DOUBLE_EQ(f.gemm_m, 2.0 * 56 * 56);
  EXPECT_DOUBLE_EQ(f.gemm_n, 128);
  EXPECT_DOUBLE_EQ(f.gemm_k, 64.0 * 9);
  EXPECT_DOUBLE_EQ(f.flops, 2.0 * 2 * 56 * 56 * 128 * 64 * 9);
  EXPECT_DOUBLE_EQ(f.input_bytes, 4.0 * 2 * 64 * 56 * 56);
  EXPECT_DOUBLE_EQ(f.filter_bytes, 4.0 * 128 * 64 * 9);
  EXPECT_DOUBLE_EQ(f.output_bytes, 4.0 * 2 * 128 * 56 * 56);
}

TEST(FeaturesTest, DepthwiseDividesWorkByGroups) {
  const ConvFeatures f =
      ComputeFeatures(ResolveConvShape(Spec("n=1,c=32,h=112,w=112,k=32,r=3,s=3,pad=1,groups=32,dtype=fp16")));
  EXPECT_DOUBLE_EQ(f.gemm_n, 1);
  EXPECT_DOUBLE_EQ(f.gemm_k, 9);
  EXPECT_DOUBLE_EQ(f.flops, 2.0 * 112 * 112 * 32 * 9);
  EXPECT_DOUBLE_EQ(f.filter_bytes, 2.0 * 32 * 9);
}

// std::log2 at run time, as the model calls it (a constant argument could be folded by the
// compiler, correctly rounded, where libm may differ in the last bit).
double RuntimeLog2(double value) {
  volatile double v = value;
  return std::log2(v);
}

// The classifier and the correction share these: each the log2 of its size, a size of 1 (and the
// depthwise GEMM's single output channel per group) reading 0.
TEST(FeaturesTest, LogSizesAreTheLog2OfEachSize) {
  const ConvShape shape = ResolveConvShape(Spec("n=1,c=32,h=112,w=100,k=32,r=3,s=3,pad=1,groups=32"));
  const ConvLogSizes logs = ComputeLogSizes(shape, ComputeFeatures(shape));
  EXPECT_EQ(logs.n, 0);
  EXPECT_EQ(logs.c, 5);
  EXPECT_EQ(logs.h, RuntimeLog2(112.0));
  EXPECT_EQ(logs.w, RuntimeLog2(100.0));
  EXPECT_EQ(logs.k, 5);
  EXPECT_EQ(logs.groups, 5);
  EXPECT_EQ(logs.pq, RuntimeLog2(112.0 * 100));
  EXPECT_EQ(logs.gemm_m, RuntimeLog2(112.0 * 100));
  EXPECT_EQ(logs.gemm_n, 0);  // one output channel per group
  EXPECT_EQ(logs.gemm_k, RuntimeLog2(9.0));
}

// Log2Size reads small sizes from a table: the same doubles std::log2 gives, on both sides of the
// table's end.
TEST(FeaturesTest, Log2SizeIsStdLog2FlooredAtOne) {
  EXPECT_EQ(Log2Size(0), 0);
  EXPECT_EQ(Log2Size(-3), 0);
  for (int64_t size = 1; size <= 5000; ++size) {
    ASSERT_EQ(Log2Size(size), RuntimeLog2(static_cast<double>(size))) << size;
  }
  EXPECT_EQ(Log2Size(int64_t{3} << 40), RuntimeLog2(3.0 * (int64_t{1} << 40)));
}

}  // namespace
}  // namespace convlat::model
