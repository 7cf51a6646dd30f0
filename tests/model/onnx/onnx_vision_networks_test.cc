// Every common vision network torchvision exports imports with every layer mapped: a convolution
// or matrix product for the conv model, an op the agents time, or (the few ops no agent times:
// Erf, Pow, reductions over the channels) an op priced from its bytes and FLOPs. The fixtures are
// made by scripts/make_onnx_fixtures.py (weights stripped).
#include <iostream>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"
#include "tests/support/onnx_fixture.h"

namespace convlat::model {
namespace {

using ::convlat::testing::OnnxFixture;
using ::testing::HasSubstr;

struct Census {
  int convs = 0, timed_ops = 0, priced_by_work = 0;
  std::map<std::string, int> priced_ops;  // op type → count, of the layers priced from bytes and FLOPs
};

Census Count(const std::vector<NetworkLayer>& layers) {
  Census census;
  for (const NetworkLayer& layer : layers) {
    if (layer.conv) {
      ++census.convs;
    } else if (layer.op_params) {
      ++census.timed_ops;
    } else {
      ++census.priced_by_work;
      ++census.priced_ops[layer.op];
    }
  }
  return census;
}

class VisionNetworkTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VisionNetworkTest, ImportsWithEveryLayerMapped) {
  const std::string bytes = OnnxFixture(GetParam());
  ASSERT_FALSE(bytes.empty()) << "missing fixture " << GetParam();
  OnnxImportOptions options;
  if (std::string(GetParam()) == "resnet50_dynamic") options.input_shapes["input"] = {1, 3, 224, 224};
  absl::StatusOr<ImportedNetwork> network = ImportOnnxNetwork(bytes, options);
  ASSERT_TRUE(network.ok()) << network.status();
  ASSERT_FALSE(network->layers.empty());
  for (const NetworkLayer& layer : network->layers) {
    if (layer.conv) {
      EXPECT_TRUE(ValidateConvParams(*layer.conv, "conv").ok()) << layer.name << ": " << layer.shape;
    } else if (layer.op_params) {
      EXPECT_TRUE(ValidateOpParams(*layer.op_params, "op").ok()) << layer.name << ": " << layer.shape;
    } else {
      // Priced from its work: it must have some.
      EXPECT_GT(layer.bytes, 0) << layer.name << " (" << layer.op << "): " << layer.shape;
    }
  }
  const Census census = Count(network->layers);
  std::vector<std::string> priced;
  for (const auto& [op, count] : census.priced_ops) priced.push_back(op + " " + std::to_string(count));
  std::cout << GetParam() << ": " << network->layers.size() << " layers, " << census.convs << " convs/GEMMs, "
            << census.timed_ops << " timed ops, " << census.priced_by_work << " priced by work ("
            << absl::StrJoin(priced, ", ") << ")\n";
  EXPECT_GT(census.convs, 0);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, VisionNetworkTest,
                         ::testing::Values("vit_b_16", "swin_t", "deeplabv3_mobilenet_v3_large", "fcn_resnet50",
                                           "convnext_tiny_opset11", "convnext_tiny_opset17", "googlenet",
                                           "inception_v3", "regnet_y_400mf", "efficientnet_b3", "resnet50_dynamic",
                                           "resnext50_32x4d", "mnasnet1_0"));

const NetworkLayer* Find(const std::vector<NetworkLayer>& layers, const std::string& name) {
  for (const NetworkLayer& layer : layers) {
    if (layer.name == name) return &layer;
  }
  return nullptr;
}

TEST(VisionNetworkTest, ViTAttentionIsBatchedGemmsAndASoftmaxOverTheSequence) {
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(OnnxFixture("vit_b_16"), OnnxImportOptions{});
  ASSERT_TRUE(layers.ok()) << layers.status();
  const std::string attention = "/encoder/layers/encoder_layer_0/self_attention/";
  // Q·Kᵀ: 12 heads of 197x64 by 64x197, one GEMM per head.
  const NetworkLayer* scores = Find(*layers, attention + "MatMul_1");
  ASSERT_NE(scores, nullptr);
  ASSERT_TRUE(scores->conv.has_value());
  EXPECT_EQ(FormatConvSpec(*scores->conv), "n=1,c=768,h=197,w=1,k=2364,r=1,s=1,groups=12");
  // ·V: 12 heads of 197x197 by 197x64.
  const NetworkLayer* context = Find(*layers, attention + "MatMul_2");
  ASSERT_NE(context, nullptr);
  ASSERT_TRUE(context->conv.has_value());
  EXPECT_EQ(FormatConvSpec(*context->conv), "n=1,c=2364,h=197,w=1,k=768,r=1,s=1,groups=12");
  const NetworkLayer* softmax = Find(*layers, attention + "Softmax");
  ASSERT_NE(softmax, nullptr);
  ASSERT_TRUE(softmax->op_params.has_value());
  EXPECT_EQ(FormatOpSpec(*softmax->op_params), "op=softmax,n=2364,c=197,h=1,w=1");
  // The input projection (a 2-D weight): one GEMM over all 197 tokens.
  const NetworkLayer* projection = Find(*layers, attention + "MatMul");
  ASSERT_NE(projection, nullptr);
  ASSERT_TRUE(projection->conv.has_value());
  EXPECT_EQ(projection->conv->groups(), 1);
  EXPECT_EQ(projection->conv->h(), 197);  // the rows are the pixels
  // The class token's Expand, whose target the exporter computes with Equal/Where, is a copy.
  const NetworkLayer* expand = Find(*layers, "/Expand");
  ASSERT_NE(expand, nullptr);
  EXPECT_EQ(expand->shape, "1x1x768, 3 -> 1x1x768");
}

TEST(VisionNetworkTest, LayerNormalizationIsANormalizationOverRows) {
  absl::StatusOr<std::vector<NetworkLayer>> layers =
      ImportOnnx(OnnxFixture("convnext_tiny_opset17"), OnnxImportOptions{});
  ASSERT_TRUE(layers.ok()) << layers.status();
  int layer_norms = 0;
  for (const NetworkLayer& layer : *layers) {
    if (layer.op != "LayerNormalization") continue;
    ++layer_norms;
    ASSERT_TRUE(layer.op_params.has_value()) << layer.name;
    EXPECT_EQ(layer.op_params->kind(), v1::OP_KIND_BATCH_NORM);
  }
  EXPECT_EQ(layer_norms, 23);  // 18 blocks, 4 downsampling norms and the classifier's
  const NetworkLayer* first = Find(*layers, "/features/features.0/features.0.1/LayerNormalization");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(FormatOpSpec(*first->op_params), "op=batch_norm,n=3136,c=96,h=1,w=1");
}

TEST(VisionNetworkTest, SymbolicSpatialDimensionsNameTheInputAndTheFlag) {
  // ResNet-50 exported with batch, height and width dynamic: the batch is taken as 1, but the
  // height has no value, and the error says so at the first node it stops.
  absl::StatusOr<ImportedNetwork> network = ImportOnnxNetwork(OnnxFixture("resnet50_dynamic"), OnnxImportOptions{});
  ASSERT_FALSE(network.ok());
  EXPECT_EQ(network.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(network.status().message()),
              HasSubstr("node '/conv1/Conv' (Conv): the shape of '/conv1/Conv_output_0' does not infer (1x64x?x?): "
                        "input 0 'input' is a graph input that has dimension 2 symbolic ('height'); fix it with "
                        "--input input=NxCxHxW"));
}

}  // namespace
}  // namespace convlat::model
