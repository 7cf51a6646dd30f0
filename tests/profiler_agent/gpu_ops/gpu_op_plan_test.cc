// How each op kind maps to a cuDNN primitive or one of the project's kernels, with its modes and
// operand sizes: pure, no GPU needed.
#include "profiler_agent/gpu_ops/gpu_op_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/op_params.h"

namespace convlat::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

GpuOpPlan Plan(const std::string& spec, bool prefer_cudnn = true) {
  absl::StatusOr<v1::OpParams> op = model::ParseOpSpec(spec);
  EXPECT_TRUE(op.ok()) << op.status();
  absl::StatusOr<GpuOpPlan> plan = PlanGpuOp(*op, prefer_cudnn);
  EXPECT_TRUE(plan.ok()) << spec << ": " << plan.status();
  return plan.ok() ? *plan : GpuOpPlan{};
}

TEST(GpuOpPlanTest, PoolingIsCudnnsWithOnnxsAverageWithoutPadding) {
  const GpuOpPlan max = Plan("op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1");
  EXPECT_EQ(max.primitive, GpuOpPrimitive::kCudnnPooling);
  EXPECT_EQ(max.pooling_mode, CUDNN_POOLING_MAX);
  EXPECT_EQ(max.output.h, 56);
  EXPECT_EQ(max.output.w, 56);
  EXPECT_EQ(max.implementation(), "cudnn:pooling_max_pool");
  const GpuOpPlan avg = Plan("op=avg_pool,n=2,c=1280,h=7,w=7,kernel=7");  // global
  EXPECT_EQ(avg.pooling_mode, CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING);
  EXPECT_EQ(avg.output.h, 1);
  EXPECT_EQ(avg.output_bytes(), 2 * 1280 * 4);
  EXPECT_EQ(avg.input_bytes(), 2 * 1280 * 7 * 7 * 4);
}

TEST(GpuOpPlanTest, ActivationsCudnnHasGoToCudnnTheOthersToKernels) {
  const struct {
    const char* function;
    GpuOpPrimitive primitive;
  } cases[] = {{"relu", GpuOpPrimitive::kCudnnActivation},       {"clip", GpuOpPrimitive::kCudnnActivation},
               {"sigmoid", GpuOpPrimitive::kCudnnActivation},    {"tanh", GpuOpPrimitive::kCudnnActivation},
               {"elu", GpuOpPrimitive::kCudnnActivation},        {"silu", GpuOpPrimitive::kCudnnActivation},
               {"hardswish", GpuOpPrimitive::kActivationKernel}, {"hardsigmoid", GpuOpPrimitive::kActivationKernel},
               {"gelu", GpuOpPrimitive::kActivationKernel},      {"leakyrelu", GpuOpPrimitive::kActivationKernel},
               {"mish", GpuOpPrimitive::kActivationKernel},      {"softplus", GpuOpPrimitive::kActivationKernel}};
  for (const auto& c : cases) {
    const GpuOpPlan plan = Plan(std::string("op=activation,function=") + c.function + ",n=1,c=16,h=8,w=8");
    EXPECT_EQ(plan.primitive, c.primitive) << c.function;
    EXPECT_TRUE(plan.side_operand_bytes().empty()) << c.function;
  }
  const GpuOpPlan clip = Plan("op=activation,function=clip,n=1,c=16,h=8,w=8");
  EXPECT_EQ(clip.activation_mode, CUDNN_ACTIVATION_CLIPPED_RELU);
  EXPECT_EQ(clip.activation_coef, 6);  // relu6, as ONNX Clip(0, 6) from PyTorch
  const GpuOpPlan silu = Plan("op=activation,function=silu,n=1,c=16,h=8,w=8");
  EXPECT_EQ(silu.activation_mode, CUDNN_ACTIVATION_SWISH);
  EXPECT_EQ(silu.activation_coef, 1);
  EXPECT_EQ(Plan("op=activation,function=hardswish,n=1,c=16,h=8,w=8").activation, kernels::Activation::kHardSwish);
  EXPECT_EQ(Plan("op=activation,function=hardswish,n=1,c=16,h=8,w=8").implementation(), "kernel:hardswish");
}

TEST(GpuOpPlanTest, ArithmeticUsesOpTensorWhereItFitsAndAKernelForDivision) {
  const GpuOpPlan add = Plan("op=binary,function=add,n=1,c=96,h=56,w=56");
  EXPECT_EQ(add.primitive, GpuOpPrimitive::kCudnnOpTensor);
  EXPECT_EQ(add.op_tensor, CUDNN_OP_TENSOR_ADD);
  EXPECT_EQ(add.second_operand_scale, 1.0f);
  EXPECT_THAT(add.side_operand_bytes(), ElementsAre(96 * 56 * 56 * 4));
  const GpuOpPlan sub = Plan("op=binary,function=sub,n=1,c=96,h=56,w=56");
  EXPECT_EQ(sub.op_tensor, CUDNN_OP_TENSOR_ADD);
  EXPECT_EQ(sub.second_operand_scale, -1.0f);
  const GpuOpPlan scale = Plan("op=binary,function=mul,n=2,c=96,h=56,w=56,broadcast=1,dtype=fp16");
  EXPECT_EQ(scale.op_tensor, CUDNN_OP_TENSOR_MUL);
  EXPECT_THAT(scale.side_operand_bytes(), ElementsAre(2 * 96 * 2));  // n x c x 1 x 1 halves
  const GpuOpPlan div = Plan("op=binary,function=div,n=1,c=96,h=56,w=56,broadcast=1");
  EXPECT_EQ(div.primitive, GpuOpPrimitive::kBinaryKernel);
  EXPECT_EQ(div.binary, kernels::Binary::kDiv);
}

TEST(GpuOpPlanTest, KernelFallbackExistsForActivationsAndArithmeticOnly) {
  const GpuOpPlan relu = Plan("op=activation,n=1,c=16,h=8,w=8,dtype=bf16");
  EXPECT_TRUE(HasKernelFallback(relu));
  const GpuOpPlan kernel = Plan("op=activation,n=1,c=16,h=8,w=8,dtype=bf16", /*prefer_cudnn=*/false);
  EXPECT_EQ(kernel.primitive, GpuOpPrimitive::kActivationKernel);
  EXPECT_EQ(kernel.activation, kernels::Activation::kRelu);
  EXPECT_EQ(Plan("op=binary,function=mul,n=1,c=8,h=4,w=4", false).primitive, GpuOpPrimitive::kBinaryKernel);
  EXPECT_FALSE(HasKernelFallback(Plan("op=softmax,n=1,c=1000,h=1,w=1")));
  EXPECT_FALSE(HasKernelFallback(Plan("op=max_pool,n=1,c=8,h=8,w=8,kernel=2,stride=2")));
}

TEST(GpuOpPlanTest, FallsBackOnlyWhenCudnnRefusedTheCombination) {
  const GpuOpPlan relu = Plan("op=activation,n=1,c=16,h=8,w=8,dtype=bf16");
  EXPECT_TRUE(ShouldFallBackToKernel(relu, absl::UnimplementedError("CUDNN_STATUS_NOT_SUPPORTED")));
  EXPECT_TRUE(ShouldFallBackToKernel(relu, absl::InvalidArgumentError("CUDNN_STATUS_BAD_PARAM")));
  EXPECT_FALSE(ShouldFallBackToKernel(relu, absl::ResourceExhaustedError("out of memory")));
  EXPECT_FALSE(ShouldFallBackToKernel(relu, absl::InternalError("launch failed")));
  EXPECT_FALSE(ShouldFallBackToKernel(Plan("op=softmax,n=1,c=10,h=1,w=1"), absl::UnimplementedError("")));
}

TEST(GpuOpPlanTest, ConcatSplitsChannelsAsTheCpuBackendDoes) {
  const GpuOpPlan plan = Plan("op=concat,n=1,c=130,h=28,w=28,inputs=4");
  EXPECT_EQ(plan.primitive, GpuOpPrimitive::kConcatKernel);
  EXPECT_THAT(plan.concat_channels, ElementsAre(32, 32, 32, 34));  // the remainder to the last
  EXPECT_EQ(plan.input_bytes(), 32 * 28 * 28 * 4);
  EXPECT_THAT(plan.side_operand_bytes(), ElementsAre(32 * 28 * 28 * 4, 32 * 28 * 28 * 4, 34 * 28 * 28 * 4));
  EXPECT_EQ(plan.output_bytes(), 130 * 28 * 28 * 4);
}

TEST(GpuOpPlanTest, SoftmaxResizeBatchNormAndCopy) {
  EXPECT_EQ(Plan("op=softmax,n=1,c=1000,h=1,w=1").primitive, GpuOpPrimitive::kCudnnSoftmax);
  const GpuOpPlan resize = Plan("op=resize,function=linear,n=1,c=64,h=28,w=28,out_h=56,out_w=56,layout=nhwc");
  EXPECT_EQ(resize.primitive, GpuOpPrimitive::kResizeKernel);
  EXPECT_EQ(resize.implementation(), "kernel:resize_linear");
  EXPECT_EQ(resize.output.h, 56);
  EXPECT_TRUE(resize.output.nhwc);
  EXPECT_EQ(resize.format, CUDNN_TENSOR_NHWC);
  const GpuOpPlan bn = Plan("op=batch_norm,n=1,c=64,h=56,w=56,dtype=fp16");
  EXPECT_EQ(bn.primitive, GpuOpPrimitive::kCudnnBatchNorm);
  EXPECT_THAT(bn.side_operand_bytes(), ElementsAre(256, 256, 256, 256));  // fp32 per channel
  EXPECT_EQ(bn.input_bytes(), 64 * 56 * 56 * 2);
  EXPECT_EQ(Plan("op=copy,n=1,c=64,h=56,w=56").primitive, GpuOpPrimitive::kTransposeKernel);
}

TEST(GpuOpPlanTest, EveryKindPlansInEveryTypeAndLayout) {
  const char* specs[] = {"op=max_pool,n=2,c=8,h=9,w=9,kernel=3,stride=2,pad=1",
                         "op=avg_pool,n=2,c=8,h=9,w=9,kernel=9",
                         "op=activation,function=gelu,n=2,c=8,h=9,w=9",
                         "op=binary,function=add,n=2,c=8,h=9,w=9,broadcast=1",
                         "op=concat,n=2,c=8,h=9,w=9,inputs=3",
                         "op=softmax,n=2,c=8,h=9,w=9",
                         "op=resize,function=nearest,n=2,c=8,h=9,w=9,out_h=18,out_w=18",
                         "op=batch_norm,n=2,c=8,h=9,w=9",
                         "op=copy,n=2,c=8,h=9,w=9"};
  const struct {
    const char* dtype;
    cudnnDataType_t data_type;
    kernels::Element element;
    int bytes;
  } types[] = {{"fp32", CUDNN_DATA_FLOAT, kernels::Element::kFloat32, 4},
               {"fp16", CUDNN_DATA_HALF, kernels::Element::kFloat16, 2},
               {"bf16", CUDNN_DATA_BFLOAT16, kernels::Element::kBfloat16, 2}};
  for (const char* spec : specs) {
    for (const auto& type : types) {
      for (const char* layout : {"nchw", "nhwc"}) {
        const GpuOpPlan plan = Plan(absl::StrCat(spec, ",dtype=", type.dtype, ",layout=", layout));
        EXPECT_EQ(plan.data_type, type.data_type) << spec;
        EXPECT_EQ(plan.element, type.element) << spec;
        EXPECT_EQ(plan.element_bytes, type.bytes) << spec;
        EXPECT_EQ(plan.input.nhwc, std::string(layout) == "nhwc") << spec;
        EXPECT_GT(plan.output_bytes(), 0) << spec;
        EXPECT_FALSE(plan.implementation().empty()) << spec;
      }
    }
  }
}

TEST(GpuOpPlanTest, WhatTheGpuDoesNotRunSaysWhy) {
  absl::StatusOr<GpuOpPlan> int8 = PlanGpuOp(*model::ParseOpSpec("op=activation,n=1,c=8,h=8,w=8,dtype=int8"));
  EXPECT_EQ(int8.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(int8.status().message(), HasSubstr("int8"));
  absl::StatusOr<GpuOpPlan> native = PlanGpuOp(*model::ParseOpSpec("op=activation,n=1,c=8,h=8,w=8,layout=native"));
  EXPECT_EQ(native.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(native.status().message(), HasSubstr("native"));
  absl::StatusOr<GpuOpPlan> huge = PlanGpuOp(*model::ParseOpSpec("op=activation,n=64,c=1024,h=256,w=256"));
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kUnimplemented);
  absl::StatusOr<GpuOpPlan> bad = PlanGpuOp(*model::ParseOpSpec("op=max_pool,n=1,c=8,h=8,w=8"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("op.kernel_h"));
}

}  // namespace
}  // namespace convlat::agent
