// The project's CUDA kernels, from the host side: this binary links them (the nvcc build works),
// empty tensors launch nothing, and where there is no GPU a launch reports the runtime's error
// instead of crashing (their results are checked on a GPU by gpu_op_numerics_test).
#include "profiler_agent/cuda_kernels/op_kernels.h"

#include <gtest/gtest.h>

#include "tests/profiler_agent/cudnn/needs_gpu.h"

namespace convlat::agent::kernels {
namespace {

TEST(OpKernelsTest, EmptyTensorsLaunchNothing) {
  EXPECT_EQ(LaunchActivation(Activation::kHardSwish, Element::kFloat16, nullptr, nullptr, 0, nullptr), cudaSuccess);
  const Tensor4d empty{.n = 0, .c = 8, .h = 4, .w = 4};
  EXPECT_EQ(LaunchBinary(Binary::kDiv, Element::kBfloat16, nullptr, nullptr, nullptr, empty, true, nullptr),
            cudaSuccess);
  EXPECT_EQ(LaunchConcatInput(Element::kFloat32, nullptr, nullptr, empty, 16, 8, nullptr), cudaSuccess);
  EXPECT_EQ(LaunchResize(true, Element::kFloat32, nullptr, nullptr, empty, 8, 8, nullptr), cudaSuccess);
  EXPECT_EQ(LaunchTranspose(Element::kFloat16, nullptr, nullptr, empty, nullptr), cudaSuccess);
}

TEST(OpKernelsTest, WithoutAGpuALaunchReportsTheRuntimesError) {
  if (WhyNoGpu().empty()) GTEST_SKIP() << "a GPU is here: gpu_op_numerics_test runs the kernels for real";
  const Tensor4d shape{.n = 1, .c = 8, .h = 4, .w = 4, .nhwc = true};
  EXPECT_NE(LaunchActivation(Activation::kGelu, Element::kFloat32, nullptr, nullptr, shape.elements(), nullptr),
            cudaSuccess);
  EXPECT_NE(LaunchBinary(Binary::kAdd, Element::kFloat16, nullptr, nullptr, nullptr, shape, false, nullptr),
            cudaSuccess);
  EXPECT_NE(LaunchConcatInput(Element::kBfloat16, nullptr, nullptr, shape, 16, 8, nullptr), cudaSuccess);
  EXPECT_NE(LaunchResize(false, Element::kFloat32, nullptr, nullptr, shape, 8, 8, nullptr), cudaSuccess);
  EXPECT_NE(LaunchTranspose(Element::kFloat32, nullptr, nullptr, shape, nullptr), cudaSuccess);
}

}  // namespace
}  // namespace convlat::agent::kernels
