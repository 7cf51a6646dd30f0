// Planning a sweep in another data type, layout or math mode (--dtype, --layout, --math): what
// `gpu-check.sh` uses to run the same sweep as fp16 tensor-op NHWC.
#include "profiler_agent/sweep_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "grpcpp/create_channel.h"
#include "model/sweeps/sweeps.h"
#include "tests/profiler_agent/delivery/spooled_test.h"
#include "tests/support/free_port.h"
#include "tests/support/test_dir.h"

namespace convlat::agent {
namespace {

class SweepOverrideTest : public SpooledTest {
 protected:
  // No server answers: the plan is the whole sweep, as the agent would measure it.
  absl::StatusOr<model::Sweep> Plan(SweepOptions options) {
    const std::string address = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
    options.server = address;
    options.rpc_timeout = std::chrono::milliseconds(200);
    return PlanConfigs(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), *spool_, options);
  }
};

TEST_F(SweepOverrideTest, EveryConvAndOpTakesTheDataTypeLayoutAndMathAskedFor) {
  SweepOptions options{.platform = "gpu", .sweep = "quick", .layout = v1::LAYOUT_NHWC};
  options.dtype = v1::DATA_TYPE_FP16;
  options.math_mode = v1::MATH_MODE_TENSOR_OP;
  absl::StatusOr<model::Sweep> planned = Plan(options);
  ASSERT_TRUE(planned.ok()) << planned.status();
  const model::Sweep whole = *model::ResolveSweep("quick");
  ASSERT_FALSE(planned->convs.empty());
  ASSERT_FALSE(planned->ops.empty());
  EXPECT_LE(planned->convs.size(), whole.convs.size());
  for (const v1::ConvParams& config : planned->convs) {
    EXPECT_EQ(config.dtype(), v1::DATA_TYPE_FP16);
    EXPECT_EQ(config.layout(), v1::LAYOUT_NHWC);
    EXPECT_EQ(config.math_mode(), v1::MATH_MODE_TENSOR_OP);
  }
  for (const v1::OpParams& op : planned->ops) {
    EXPECT_EQ(op.dtype(), v1::DATA_TYPE_FP16);
    EXPECT_EQ(op.layout(), v1::LAYOUT_NHWC);
  }
}

TEST_F(SweepOverrideTest, WithoutOverridesTheSweepIsMeasuredAsItSays) {
  absl::StatusOr<model::Sweep> planned = Plan({.platform = "gpu", .sweep = "quick"});
  ASSERT_TRUE(planned.ok()) << planned.status();
  const model::Sweep whole = *model::ResolveSweep("quick");
  ASSERT_EQ(planned->convs.size(), whole.convs.size());
  for (size_t i = 0; i < whole.convs.size(); ++i) {
    EXPECT_EQ(planned->convs[i].SerializeAsString(), whole.convs[i].SerializeAsString()) << i;
  }
}

}  // namespace
}  // namespace convlat::agent
