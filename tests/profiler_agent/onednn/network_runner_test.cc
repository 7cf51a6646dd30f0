// A small network run for real on this CPU's oneDNN, layer after layer.
#include "profiler_agent/onednn/network_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

std::vector<model::NetworkLayer> SmallNetwork() {
  std::vector<model::NetworkLayer> layers(4);
  layers[0] = {
      .name = "stem", .op = "Conv+Relu", .conv = *model::ParseConvSpec("n=1,c=3,h=32,w=32,k=16,r=3,s=3,pad=1")};
  layers[1] = {.name = "pool",
               .op = "MaxPool",
               .op_params = *model::ParseOpSpec("op=max_pool,n=1,c=16,h=32,w=32,kernel=2,stride=2")};
  layers[2] = {.name = "lrn", .op = "LRN", .flops = 1e4, .bytes = 1e4};  // no primitive the agent times
  layers[3] = {.name = "head", .op = "Conv", .conv = *model::ParseConvSpec("n=1,c=16,h=16,w=16,k=8,r=1,s=1")};
  for (model::NetworkLayer& layer : layers) {
    if (layer.op_params) model::NormalizeOpParams(*layer.op_params);
  }
  return layers;
}

class NetworkRunnerTest : public ::testing::TestWithParam<v1::Layout> {};

TEST_P(NetworkRunnerTest, RunsEveryLayerItCanAndSaysWhichItCannot) {
  absl::StatusOr<NetworkRun> run = RunNetworkOnOneDnn(SmallNetwork(), GetParam(), 3);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->layers.size(), 3u);
  EXPECT_EQ(run->layers[0].name, "stem");
  EXPECT_EQ(run->layers[1].op, "MaxPool");
  EXPECT_EQ(run->layers[2].name, "head");
  for (const NetworkRunLayer& layer : run->layers) {
    EXPECT_GT(layer.median_us, 0) << layer.name;
    EXPECT_FALSE(layer.implementation.empty()) << layer.name;
  }
  EXPECT_GT(run->median_us, 0);
  ASSERT_EQ(run->skipped.size(), 1u);
  EXPECT_THAT(run->skipped[0], HasSubstr("lrn: not an op the agent times"));
}

INSTANTIATE_TEST_SUITE_P(Layouts, NetworkRunnerTest,
                         ::testing::Values(v1::LAYOUT_UNSPECIFIED, v1::LAYOUT_NCHW, v1::LAYOUT_NATIVE));

// FCN's head: 21 classes (not a multiple of the channel block) upsampled 8x by linear
// resampling, whose blocked-layout JIT kernel faulted on activation buffers that were not aligned
// as oneDNN aligns its own (`convlat-agent network fcn_resnet50.onnx --layout native` crashed).
TEST(NetworkRunnerSegmentationHeadTest, RunsAnUpsamplingHeadInEveryLayout) {
  std::vector<model::NetworkLayer> layers(2);
  layers[0] = {.name = "classifier", .op = "Conv", .conv = *model::ParseConvSpec("n=1,c=64,h=65,w=65,k=21,r=1,s=1")};
  layers[1] = {.name = "upsample",
               .op = "Resize",
               .op_params = *model::ParseOpSpec("op=resize,function=linear,n=1,c=21,h=65,w=65,out_h=520,out_w=520")};
  model::NormalizeOpParams(*layers[1].op_params);
  for (v1::Layout layout : {v1::LAYOUT_NCHW, v1::LAYOUT_NATIVE}) {
    absl::StatusOr<NetworkRun> run = RunNetworkOnOneDnn(layers, layout, 2);
    ASSERT_TRUE(run.ok()) << run.status();
    ASSERT_EQ(run->layers.size(), 2u);
    EXPECT_GT(run->layers[1].median_us, 0);
  }
}

TEST(NetworkRunnerFailureTest, NothingToRunIsFailedPrecondition) {
  std::vector<model::NetworkLayer> layers(1);
  layers[0] = {.name = "lrn", .op = "LRN", .bytes = 1};
  EXPECT_EQ(RunNetworkOnOneDnn(layers, v1::LAYOUT_NCHW, 1).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace convlat::agent
