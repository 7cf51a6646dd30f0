// Mapping ConvParams to cuDNN descriptors, and which configurations the cudnn backend runs.
// No GPU needed: creating descriptors is host-only work in libcudnn.
#include "profiler_agent/cudnn/cudnn_descriptors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

CudnnConvConfig ConfigOf(const char* spec) {
  absl::StatusOr<CudnnConvConfig> config = MakeCudnnConvConfig(*model::ParseConvSpec(spec));
  EXPECT_TRUE(config.ok()) << spec << ": " << config.status();
  return config.ok() ? *config : CudnnConvConfig{};
}

TEST(CudnnConvConfigTest, Fp32NchwDefaultMathUsesFmaOnly) {
  const CudnnConvConfig config = ConfigOf("n=2,c=64,h=56,w=56,k=128,r=3,s=3,stride=2,pad=1");
  EXPECT_EQ(config.data_type, CUDNN_DATA_FLOAT);
  EXPECT_EQ(config.compute_type, CUDNN_DATA_FLOAT);
  EXPECT_EQ(config.format, CUDNN_TENSOR_NCHW);
  // Not CUDNN_DEFAULT_MATH: that would let cuDNN use TF32 tensor cores on Ampere and newer.
  EXPECT_EQ(config.math_type, CUDNN_FMA_MATH);
  EXPECT_EQ(config.element_bytes, 4);
  EXPECT_EQ(config.p, 28);
  EXPECT_EQ(config.q, 28);
  EXPECT_EQ(config.stride_h, 2);
  EXPECT_EQ(config.pad_w, 1);
  EXPECT_EQ(config.dilation_h, 1);
  EXPECT_EQ(config.groups, 1);
  EXPECT_EQ(config.input_bytes(), 2 * 64 * 56 * 56 * 4);
  EXPECT_EQ(config.filter_bytes(), 128 * 64 * 3 * 3 * 4);
  EXPECT_EQ(config.output_bytes(), 2 * 128 * 28 * 28 * 4);
}

TEST(CudnnConvConfigTest, Fp16NhwcTensorOpAccumulatesInFp32) {
  const CudnnConvConfig config =
      ConfigOf("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1,dtype=fp16,layout=nhwc,math=tensor_op");
  EXPECT_EQ(config.data_type, CUDNN_DATA_HALF);
  EXPECT_EQ(config.compute_type, CUDNN_DATA_FLOAT);
  EXPECT_EQ(config.format, CUDNN_TENSOR_NHWC);
  EXPECT_EQ(config.math_type, CUDNN_TENSOR_OP_MATH);
  EXPECT_EQ(config.element_bytes, 2);
}

TEST(CudnnConvConfigTest, Bf16) {
  const CudnnConvConfig config = ConfigOf("n=1,c=32,h=14,w=14,k=32,r=1,s=1,dtype=bf16,math=tensor_op");
  EXPECT_EQ(config.data_type, CUDNN_DATA_BFLOAT16);
  EXPECT_EQ(config.compute_type, CUDNN_DATA_FLOAT);
  EXPECT_EQ(config.output_bytes(), 32 * 14 * 14 * 2);
}

TEST(CudnnConvConfigTest, GroupedFilterHoldsChannelsPerGroup) {
  const CudnnConvConfig config = ConfigOf("n=1,c=32,h=28,w=28,k=64,r=3,s=3,pad=1,groups=8");
  EXPECT_EQ(config.groups, 8);
  EXPECT_EQ(config.filter_bytes(), 64 * 4 * 3 * 3 * 4);
}

TEST(CudnnConvConfigTest, Int8IsUnsupportedWithTheReason) {
  absl::StatusOr<CudnnConvConfig> config =
      MakeCudnnConvConfig(*model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=int8"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(config.status().message(), HasSubstr("int8"));
  EXPECT_THAT(config.status().message(), HasSubstr("cudnn backend"));
}

TEST(CudnnConvConfigTest, NativeLayoutIsTheCpuLibrariesOwn) {
  absl::StatusOr<CudnnConvConfig> config =
      MakeCudnnConvConfig(*model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,layout=native"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(config.status().message(), HasSubstr("layout native"));
}

TEST(CudnnConvConfigTest, MalformedParamsAreInvalid) {
  v1::ConvParams params = *model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
  params.set_k(-1);
  EXPECT_EQ(MakeCudnnConvConfig(params).status().code(), absl::StatusCode::kInvalidArgument);
}

// cuDNN's 4-D descriptors count elements in 32 bits (convlat's validation refuses such tensors too).
TEST(CudnnConvConfigTest, TensorsBeyondInt32ElementsAreRefused) {
  absl::StatusOr<CudnnConvConfig> config =
      MakeCudnnConvConfig(*model::ParseConvSpec("n=64,c=512,h=256,w=256,k=8,r=1,s=1"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("2^31"));
}

TEST(ComputeCapabilityTest, Fp32TensorOpNeedsTf32FromAmpere) {
  const CudnnConvConfig config = ConfigOf("n=1,c=8,h=8,w=8,k=8,r=3,s=3,math=tensor_op");
  const absl::Status turing = CheckComputeCapability(config, 7, 5);
  EXPECT_EQ(turing.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(turing.message(), HasSubstr("TF32"));
  EXPECT_THAT(turing.message(), HasSubstr("8.0"));
  EXPECT_THAT(turing.message(), HasSubstr("7.5"));
  EXPECT_TRUE(CheckComputeCapability(config, 8, 0).ok());
  EXPECT_TRUE(CheckComputeCapability(config, 9, 0).ok());
  EXPECT_TRUE(CheckComputeCapability(ConfigOf("n=1,c=8,h=8,w=8,k=8,r=3,s=3"), 7, 5).ok());
}

TEST(ComputeCapabilityTest, HalfPrecisions) {
  const CudnnConvConfig fp16_tensor_op = ConfigOf("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=fp16,math=tensor_op");
  EXPECT_TRUE(CheckComputeCapability(fp16_tensor_op, 7, 0).ok());
  EXPECT_EQ(CheckComputeCapability(fp16_tensor_op, 6, 1).code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(CheckComputeCapability(ConfigOf("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=fp16"), 6, 1).ok());
  const CudnnConvConfig bf16 = ConfigOf("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=bf16");
  EXPECT_THAT(CheckComputeCapability(bf16, 7, 5).message(), HasSubstr("bf16"));
  EXPECT_TRUE(CheckComputeCapability(bf16, 8, 6).ok());
}

TEST(CudnnAlgorithmNameTest, NamesAlgorithmAndMath) {
  EXPECT_EQ(CudnnAlgorithmName(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_TENSOR_OP_MATH),
            "implicit_precomp_gemm:tensor_op");
  EXPECT_EQ(CudnnAlgorithmName(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, CUDNN_FMA_MATH), "winograd_nonfused:fma");
  EXPECT_EQ(CudnnAlgorithmName(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, CUDNN_DEFAULT_MATH), "fft_tiling:default");
}

class CudnnDescriptorsTest : public ::testing::TestWithParam<const char*> {};

// cuDNN's own output-shape computation agrees with convlat's for every kind of layer.
TEST_P(CudnnDescriptorsTest, CudnnAgreesOnTheOutputShape) {
  const CudnnConvConfig config = ConfigOf(GetParam());
  absl::StatusOr<CudnnConvDescriptors> descriptors = CudnnConvDescriptors::Create(config);
  ASSERT_TRUE(descriptors.ok()) << descriptors.status();
  EXPECT_NE(descriptors->input(), nullptr);
  EXPECT_NE(descriptors->filter(), nullptr);
  EXPECT_NE(descriptors->convolution(), nullptr);
  EXPECT_NE(descriptors->output(), nullptr);
  cudnnMathType_t math_type;
  ASSERT_EQ(cudnnGetConvolutionMathType(descriptors->convolution(), &math_type), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(math_type, config.math_type);
  int groups = 0;
  ASSERT_EQ(cudnnGetConvolutionGroupCount(descriptors->convolution(), &groups), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(groups, config.groups);
  // Moving hands the descriptors over without destroying them twice.
  CudnnConvDescriptors moved = *std::move(descriptors);
  EXPECT_TRUE(moved.SetMathType(CUDNN_DEFAULT_MATH).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Layers, CudnnDescriptorsTest,
    ::testing::Values("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1", "n=8,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3",
                      "n=1,c=32,h=112,w=112,k=32,r=3,s=3,pad=1,groups=32,layout=nhwc,dtype=fp16,math=tensor_op",
                      "n=1,c=16,h=28,w=28,k=16,r=3,s=3,pad=2,dilation=2,dtype=bf16",
                      "n=1,c=8,h=15,w=9,k=12,r=5,s=3,stride_h=2,stride_w=1,pad_h=2,pad_w=0,groups=4"));

}  // namespace
}  // namespace convlat::agent
