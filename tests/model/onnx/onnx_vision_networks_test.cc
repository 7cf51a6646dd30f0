// Every common vision network torchvision exports imports with every layer mapped: a convolution
// or matrix product for the conv model, an op the agents time, or (the few ops no agent times:
// Erf, Pow, reductions over the channels) an op priced from its bytes and FLOPs. The fixtures are
// made by scripts/make_onnx_fixtures.py (weights stripped).
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/" + name + ".onnx", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

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
  const std::string bytes = Fixture(GetParam());
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

}  // namespace
}  // namespace convlat::model
