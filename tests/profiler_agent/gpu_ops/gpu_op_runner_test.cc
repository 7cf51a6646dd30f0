// The host side of running an op: cuDNN descriptors for every op kind, type and layout are
// created here (libcudnn, no GPU), and cuDNN agrees with convlat on pooled shapes.
#include "profiler_agent/gpu_ops/gpu_op_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "model/layers/op_params.h"

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

GpuOpPlan Plan(const std::string& spec) {
  absl::StatusOr<GpuOpPlan> plan = PlanGpuOp(*model::ParseOpSpec(spec));
  EXPECT_TRUE(plan.ok()) << spec << ": " << plan.status();
  return plan.ok() ? *plan : GpuOpPlan{};
}

class GpuOpDescriptorsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GpuOpDescriptorsTest, CreatesDescriptorsInEveryTypeAndLayout) {
  for (const char* dtype : {"fp32", "fp16", "bf16"}) {
    for (const char* layout : {"nchw", "nhwc"}) {
      for (bool prefer_cudnn : {true, false}) {
        const std::string spec = absl::StrCat(GetParam(), ",dtype=", dtype, ",layout=", layout);
        absl::StatusOr<GpuOpPlan> plan = PlanGpuOp(*model::ParseOpSpec(spec), prefer_cudnn);
        ASSERT_TRUE(plan.ok()) << spec << ": " << plan.status();
        absl::StatusOr<GpuOpRunner> runner = GpuOpRunner::Create(*plan);
        ASSERT_TRUE(runner.ok()) << spec << ": " << runner.status();
        EXPECT_EQ(runner->plan().implementation(), plan->implementation());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, GpuOpDescriptorsTest,
    ::testing::Values("op=max_pool,n=2,c=8,h=9,w=9,kernel=3,stride=2,pad=1", "op=avg_pool,n=2,c=8,h=9,w=9,kernel=9",
                      "op=activation,function=relu,n=2,c=8,h=9,w=9", "op=activation,function=clip,n=2,c=8,h=9,w=9",
                      "op=activation,function=silu,n=2,c=8,h=9,w=9", "op=activation,function=hardswish,n=2,c=8,h=9,w=9",
                      "op=binary,function=sub,n=2,c=8,h=9,w=9", "op=binary,function=mul,n=2,c=8,h=9,w=9,broadcast=1",
                      "op=binary,function=div,n=2,c=8,h=9,w=9", "op=concat,n=2,c=8,h=9,w=9,inputs=3",
                      "op=softmax,n=2,c=1000,h=1,w=1", "op=resize,function=linear,n=2,c=8,h=9,w=9,out_h=18,out_w=18",
                      "op=batch_norm,n=2,c=8,h=9,w=9", "op=copy,n=2,c=8,h=9,w=9"));

TEST(GpuOpRunnerTest, CudnnPoolsToTheShapeConvlatComputes) {
  // Global, strided with padding, and a window that does not tile the input evenly.
  for (const char* spec :
       {"op=avg_pool,n=1,c=1280,h=7,w=7,kernel=7", "op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1",
        "op=max_pool,n=1,c=96,h=55,w=55,kernel=3,stride=2"}) {
    absl::StatusOr<GpuOpRunner> runner = GpuOpRunner::Create(Plan(spec));
    EXPECT_TRUE(runner.ok()) << spec << ": " << runner.status();
  }
}

TEST(GpuOpRunnerTest, MissingOperandsAreRefusedBeforeAnythingRuns) {
  absl::StatusOr<GpuOpRunner> runner = GpuOpRunner::Create(Plan("op=binary,function=add,n=1,c=8,h=4,w=4"));
  ASSERT_TRUE(runner.ok()) << runner.status();
  int fake = 0;  // never dereferenced: the check comes first
  const absl::Status status = runner->Run(nullptr, nullptr, {.input = &fake, .output = &fake});
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("1 other operands; got 0"));
}

}  // namespace
}  // namespace convlat::agent
