// Whole networks run for real on the GPU, layer after layer. Skips, saying why, where there is
// no GPU.
#include "profiler_agent/gpu_network/gpu_network_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"
#include "tests/profiler_agent/cudnn/needs_gpu.h"
#include "tests/support/onnx_fixture.h"

namespace convlat::agent {
namespace {

using ::convlat::testing::OnnxFixture;
using ::testing::HasSubstr;

using GpuNetworkRunnerTest = NeedsGpu<::testing::Test>;

void ExpectEveryLayerTimed(const NetworkRun& run) {
  EXPECT_GT(run.median_us, 0);
  for (const NetworkRunLayer& layer : run.layers) {
    EXPECT_GT(layer.median_us, 0) << layer.name;
    EXPECT_FALSE(layer.implementation.empty()) << layer.name;
  }
}

TEST_F(GpuNetworkRunnerTest, RunsEveryLayerItCanAndSaysWhichItCannot) {
  std::vector<model::NetworkLayer> layers(4);
  layers[0] = {
      .name = "stem", .op = "Conv+Relu", .conv = *model::ParseConvSpec("n=1,c=3,h=32,w=32,k=16,r=3,s=3,pad=1")};
  layers[1] = {.name = "pool",
               .op = "MaxPool",
               .op_params = *model::ParseOpSpec("op=max_pool,n=1,c=16,h=32,w=32,kernel=2,stride=2")};
  layers[2] = {.name = "lrn", .op = "LRN", .flops = 1e4, .bytes = 1e4};
  layers[3] = {.name = "head", .op = "Conv", .conv = *model::ParseConvSpec("n=1,c=16,h=16,w=16,k=8,r=1,s=1")};
  absl::StatusOr<NetworkRun> run = RunNetworkOnGpu(layers, {.runs = 3});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->layers.size(), 3u);
  EXPECT_EQ(run->layers[1].implementation, "cudnn:pooling_max_pool");
  ExpectEveryLayerTimed(*run);
  ASSERT_EQ(run->skipped.size(), 1u);
  EXPECT_THAT(run->skipped[0], HasSubstr("lrn: not an op the agent times"));
}

class FixtureOnGpuTest : public NeedsGpu<::testing::TestWithParam<const char*>> {};

TEST_P(FixtureOnGpuTest, RunsEveryLayerInHalfPrecisionChannelsLast) {
  absl::StatusOr<std::vector<model::NetworkLayer>> layers =
      model::ImportOnnx(OnnxFixture(GetParam()), {.batch = 2, .force_batch = true});
  ASSERT_TRUE(layers.ok()) << layers.status();
  absl::StatusOr<NetworkRun> run =
      RunNetworkOnGpu(*layers, {.overrides = {.dtype = v1::DATA_TYPE_FP16, .layout = v1::LAYOUT_NHWC}, .runs = 2});
  ASSERT_TRUE(run.ok()) << run.status();
  for (const std::string& skipped : run->skipped) ADD_FAILURE() << "skipped " << skipped;
  ExpectEveryLayerTimed(*run);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureOnGpuTest,
                         ::testing::Values("resnet18", "mobilenet_v3_large", "densenet121", "shufflenet_v2_x1_0"));

}  // namespace
}  // namespace convlat::agent
