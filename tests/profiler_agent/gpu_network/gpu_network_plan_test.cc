// The GPU network runner's per-layer plan for the nine fixture networks: every layer that does
// work gets a cuDNN convolution or an op plan, with buffer sizes that chain; pure, no GPU needed.
#include "profiler_agent/gpu_network/gpu_network_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/onnx/onnx_import.h"
#include "tests/support/onnx_fixture.h"

namespace convlat::agent {
namespace {

using ::convlat::testing::OnnxFixture;
using ::testing::HasSubstr;

std::vector<model::NetworkLayer> Import(const std::string& name, int batch) {
  absl::StatusOr<std::vector<model::NetworkLayer>> layers =
      model::ImportOnnx(OnnxFixture(name), {.batch = batch, .force_batch = true});
  EXPECT_TRUE(layers.ok()) << name << ": " << layers.status();
  return layers.ok() ? *layers : std::vector<model::NetworkLayer>{};
}

// Layers that launch work: those the agent times (the importer leaves views out).
size_t TimedLayers(const std::vector<model::NetworkLayer>& layers) {
  size_t count = 0;
  for (const model::NetworkLayer& layer : layers) count += layer.conv || layer.op_params;
  return count;
}

class FixtureNetworkPlanTest : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureNetworkPlanTest, EveryLayerGetsAPlanInEveryTypeAndLayout) {
  const std::vector<model::NetworkLayer> layers = Import(GetParam(), 2);
  ASSERT_FALSE(layers.empty());
  for (v1::DataType dtype : {v1::DATA_TYPE_UNSPECIFIED, v1::DATA_TYPE_FP16, v1::DATA_TYPE_BF16}) {
    for (v1::Layout layout : {v1::LAYOUT_UNSPECIFIED, v1::LAYOUT_NHWC}) {
      const GpuNetworkPlan plan = PlanGpuNetwork(layers, {.dtype = dtype, .layout = layout});
      EXPECT_EQ(plan.layers.size(), TimedLayers(layers)) << GetParam();
      for (const std::string& skipped : plan.skipped) {
        EXPECT_THAT(skipped, HasSubstr("not an op the agent times")) << GetParam();
      }
      for (const GpuLayerPlan& layer : plan.layers) {
        SCOPED_TRACE(absl::StrCat(GetParam(), " ", layer.name, " ", layer.op));
        EXPECT_NE(layer.conv.has_value(), layer.gpu_op.has_value());
        EXPECT_GT(layer.input_bytes, 0);
        EXPECT_GT(layer.output_bytes, 0);
        EXPECT_LE(layer.input_bytes, plan.activation_bytes);
        EXPECT_LE(layer.output_bytes, plan.activation_bytes);
        for (int64_t side : layer.side_bytes) EXPECT_GT(side, 0);
        if (dtype != v1::DATA_TYPE_UNSPECIFIED) {
          EXPECT_EQ(layer.dtype, dtype);
        }
        if (layer.conv) {
          EXPECT_EQ(layer.side_bytes.size(), 1u);  // the filter
          EXPECT_EQ(layer.conv->format, layout == v1::LAYOUT_NHWC ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW);
          // Half precision runs on tensor cores, as frameworks run it; fp32 stays FMA.
          EXPECT_EQ(layer.conv->math_type, dtype == v1::DATA_TYPE_UNSPECIFIED ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH);
        } else {
          EXPECT_EQ(layer.gpu_op->input.nhwc, layout == v1::LAYOUT_NHWC);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureNetworkPlanTest,
                         ::testing::Values("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "vgg16",
                                           "efficientnet_b0", "densenet121", "squeezenet1_1", "shufflenet_v2_x1_0"));

// The fixture's exporter writes hardswish as HardSigmoid then Mul.
TEST(GpuNetworkPlanTest, MobileNetV3UsesTheKernelsCudnnLacks) {
  const GpuNetworkPlan plan = PlanGpuNetwork(Import("mobilenet_v3_large", 1), {});
  int hardsigmoid = 0, squeeze_excitation_scale = 0;
  for (const GpuLayerPlan& layer : plan.layers) {
    if (!layer.gpu_op) continue;
    hardsigmoid += layer.gpu_op->implementation() == "kernel:hardsigmoid";
    squeeze_excitation_scale += layer.gpu_op->op.kind() == v1::OP_KIND_BINARY && layer.gpu_op->op.broadcast();
  }
  EXPECT_GT(hardsigmoid, 0);
  EXPECT_GT(squeeze_excitation_scale, 0);
}

TEST(GpuNetworkPlanTest, LayersTheGpuCannotRunAreSkippedWithTheReason) {
  std::vector<model::NetworkLayer> layers(3);
  layers[0] = {.name = "stem", .op = "Conv", .conv = *model::ParseConvSpec("n=1,c=3,h=32,w=32,k=16,r=3,s=3,pad=1")};
  layers[1] = {.name = "lrn", .op = "LRN", .flops = 1e4, .bytes = 1e4};
  layers[2] = {.name = "q", .op = "Conv", .conv = *model::ParseConvSpec("n=1,c=16,h=32,w=32,k=16,r=1,s=1,dtype=int8")};
  const GpuNetworkPlan plan = PlanGpuNetwork(layers, {});
  ASSERT_EQ(plan.layers.size(), 1u);
  EXPECT_EQ(plan.layers[0].name, "stem");
  EXPECT_EQ(plan.activation_bytes, 16 * 32 * 32 * 4);
  ASSERT_EQ(plan.skipped.size(), 2u);
  EXPECT_THAT(plan.skipped[0], HasSubstr("lrn: not an op the agent times"));
  EXPECT_THAT(plan.skipped[1], HasSubstr("q: dtype int8 is not supported by the cudnn backend"));
  const GpuNetworkPlan native = PlanGpuNetwork(layers, {.layout = v1::LAYOUT_NATIVE});
  EXPECT_TRUE(native.layers.empty());
}

}  // namespace
}  // namespace convlat::agent
