#include "model/onnx/onnx_import.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_shape.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/onnx/weight_stripping.h"
#include "onnx/onnx_pb.h"
#include "tests/support/onnx_fixture.h"
#include "tests/support/onnx_graph_builder.h"

namespace convlat::model {
namespace {

using ::convlat::testing::GraphBuilder;
using ::convlat::testing::OnnxFixture;
using ::convlat::testing::SetInts;
using ::testing::HasSubstr;

OnnxImportOptions Batch(int batch) { return OnnxImportOptions{.batch = batch}; }

int CountConvs(const std::vector<NetworkLayer>& layers) {
  int convs = 0;
  for (const NetworkLayer& layer : layers) convs += layer.conv.has_value();
  return convs;
}

TEST(OnnxImportTest, ResNet18LayerByLayer) {
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(OnnxFixture("resnet18"), Batch(1));
  ASSERT_TRUE(layers.ok()) << layers.status();
  // 20 convolutions (stem, 16 in the blocks, 3 downsampling 1x1) and the classifier's Gemm.
  EXPECT_EQ(CountConvs(*layers), 21);
  const NetworkLayer& stem = layers->front();
  EXPECT_EQ(stem.op, "Conv+Relu");  // the exporter folded BatchNormalization; the runtime fuses the ReLU
  ASSERT_TRUE(stem.conv.has_value());
  EXPECT_EQ(FormatConvSpec(*stem.conv),
            FormatConvSpec(*ParseConvSpec("n=1,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3")));
  EXPECT_EQ(stem.shape, "1x3x224x224, 64x3x7x7, 64 -> 1x64x112x112");
  EXPECT_EQ((*layers)[1].op, "MaxPool");
  EXPECT_GT((*layers)[1].bytes, 0);
  const NetworkLayer& classifier = layers->back();
  EXPECT_EQ(classifier.op, "Gemm");
  ASSERT_TRUE(classifier.conv.has_value());
  EXPECT_EQ(classifier.conv->c(), 512);
  EXPECT_EQ(classifier.conv->k(), 1000);
  int residual_adds = 0;
  for (const NetworkLayer& layer : *layers) residual_adds += layer.op == "Add";
  EXPECT_EQ(residual_adds, 8);
  // The other ops as the agents time them.
  auto spec_of = [&](const std::string& op) {
    for (const NetworkLayer& layer : *layers) {
      if (layer.op == op) return layer.op_params ? FormatOpSpec(*layer.op_params) : std::string("unmapped");
    }
    return std::string("absent");
  };
  EXPECT_EQ(spec_of("MaxPool"), "op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1");
  EXPECT_EQ(spec_of("Add"), "op=binary,function=add,n=1,c=64,h=56,w=56");
  EXPECT_EQ(spec_of("Relu"), "op=activation,function=relu,n=1,c=64,h=56,w=56");  // after the Add: not fused
  EXPECT_EQ(spec_of("GlobalAveragePool"), "op=avg_pool,n=1,c=512,h=7,w=7,kernel=7");
}

TEST(OnnxImportTest, MobileNetV3ScalesAndActivationsAreTimedOps) {
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(OnnxFixture("mobilenet_v3_large"), Batch(1));
  ASSERT_TRUE(layers.ok()) << layers.status();
  int broadcast_scales = 0, hardsigmoid = 0;
  for (const NetworkLayer& layer : *layers) {
    if (!layer.op_params) continue;
    broadcast_scales += layer.op_params->kind() == v1::OP_KIND_BINARY && layer.op_params->function() == "mul" &&
                        layer.op_params->broadcast();
    hardsigmoid += layer.op_params->function() == "hardsigmoid";
  }
  // torchvision exports hardswish as x * HardSigmoid(x); the squeeze-excitation gates are
  // HardSigmoids too, and their scales the broadcast Muls.
  EXPECT_EQ(broadcast_scales, 8);
  EXPECT_EQ(hardsigmoid, 29);
}

// The batch a convolution layer carries: its images, or for a matrix product (the classifier) its
// rows, which are the 1x1 convolution's pixels (GemmAsConv).
int ImagesOf(const NetworkLayer& layer) {
  const bool matrix_product = layer.op.rfind("Gemm", 0) == 0 || layer.op.rfind("MatMul", 0) == 0;  // "Gemm+Relu" too
  return matrix_product ? layer.conv->h() * layer.conv->n() : layer.conv->n();
}

// The spec the agents time for `large` (op) `small`, one binary node.
std::string BinarySpec(const std::string& op, const std::vector<int64_t>& large, const std::vector<int64_t>& small) {
  GraphBuilder g;
  g.Input("x", large).Weight("y", small).Output("z");
  g.Node(op, {"x", "y"}, "z");
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(g.Bytes(), {});
  if (!layers.ok()) return std::string(layers.status().message());
  return layers->at(0).op_params ? FormatOpSpec(*layers->at(0).op_params) : "unmapped";
}

TEST(OnnxImportTest, BroadcastOperandsAreTimedAsTheBroadcastTheyAre) {
  // The agents' reading, n x c x 1 x 1: a squeeze-excitation scale, a layer norm's row statistics.
  EXPECT_EQ(BinarySpec("Mul", {1, 64, 7, 7}, {1, 64, 1, 1}), "op=binary,function=mul,n=1,c=64,h=7,w=7,broadcast=1");
  EXPECT_EQ(BinarySpec("Sub", {1, 197, 768}, {1, 197, 1}), "op=binary,function=sub,n=1,c=197,h=768,w=1,broadcast=1");
  // What it is not: a bias over the last axis (attention's input projection) is per channel of
  // that axis, repeated over the rows; a scalar (GELU's x / sqrt(2)) is timed the same way over
  // the innermost axis. Read as n x c x 1 x 1, oneDNN ran them with its reference kernel.
  EXPECT_EQ(BinarySpec("Add", {197, 1, 2304}, {2304}), "op=binary,function=add,n=1,c=2304,h=197,w=1,broadcast=1");
  EXPECT_EQ(BinarySpec("Div", {1, 56, 56, 384}, {}), "op=binary,function=div,n=1,c=384,h=3136,w=1,broadcast=1");
  EXPECT_EQ(BinarySpec("Mul", {12, 197, 64}, {1}), "op=binary,function=mul,n=1,c=64,h=2364,w=1,broadcast=1");
  // Same sizes: no broadcast, the tensor's own dims.
  EXPECT_EQ(BinarySpec("Add", {1, 197, 768}, {1, 197, 768}), "op=binary,function=add,n=1,c=197,h=768,w=1");
}

TEST(OnnxImportTest, BatchReplacesTheSymbolicBatchDimension) {
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(OnnxFixture("resnet50"), Batch(32));
  ASSERT_TRUE(layers.ok()) << layers.status();
  EXPECT_EQ(CountConvs(*layers), 54);  // 53 convolutions and the classifier
  for (const NetworkLayer& layer : *layers) {
    if (layer.conv) {
      EXPECT_EQ(ImagesOf(layer), 32) << layer.name;
    }
  }
}

TEST(OnnxImportTest, InputShapesFixDynamicDimensions) {
  OnnxImportOptions options;
  options.input_shapes["input"] = {2, 3, 160, 160};
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(OnnxFixture("mobilenet_v2"), options);
  ASSERT_TRUE(layers.ok()) << layers.status();
  EXPECT_EQ(layers->front().conv->h(), 160);
  EXPECT_EQ(layers->front().conv->n(), 2);
  int depthwise = 0;
  for (const NetworkLayer& layer : *layers) {
    depthwise += layer.conv && layer.conv->groups() > 1 && layer.conv->groups() == layer.conv->c();
  }
  EXPECT_EQ(depthwise, 17);

  // With a batch too, the batch replaces the shape's first dimension, said when it was not 1.
  options.batch = 4;
  absl::StatusOr<ImportedNetwork> rebatched = ImportOnnxNetwork(OnnxFixture("mobilenet_v2"), options);
  ASSERT_TRUE(rebatched.ok()) << rebatched.status();
  EXPECT_EQ(rebatched->layers.front().conv->n(), 4);
  EXPECT_EQ(rebatched->layers.front().conv->h(), 160);
  EXPECT_THAT(rebatched->notes,
              ::testing::ElementsAre("input 'input': --batch 4 replaces the batch 2 of --input input"));
  options.input_shapes["input"] = {1, 3, 160, 160};
  rebatched = ImportOnnxNetwork(OnnxFixture("mobilenet_v2"), options);
  ASSERT_TRUE(rebatched.ok()) << rebatched.status();
  EXPECT_EQ(rebatched->layers.front().conv->n(), 4);
  EXPECT_THAT(rebatched->notes, ::testing::IsEmpty());
  options.batch = 0;

  options.input_shapes["image"] = {1, 3, 8, 8};
  EXPECT_THAT(std::string(ImportOnnx(OnnxFixture("mobilenet_v2"), options).status().message()),
              HasSubstr("--input image: the model has no graph input of that name"));
}

// Every fixture network imports, and every convolution it yields is a valid one.
class OnnxFixtureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OnnxFixtureTest, ImportsWithValidConvolutions) {
  const std::string bytes = OnnxFixture(GetParam());
  ASSERT_FALSE(bytes.empty()) << "fixture missing: run scripts/make_onnx_fixtures.py";
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(bytes, Batch(4));
  ASSERT_TRUE(layers.ok()) << layers.status();
  EXPECT_GT(CountConvs(*layers), 5);
  for (const NetworkLayer& layer : *layers) {
    EXPECT_FALSE(layer.name.empty());
    EXPECT_FALSE(layer.shape.empty()) << layer.name;
    if (layer.conv) {
      EXPECT_TRUE(ValidateConvParams(*layer.conv, "").ok()) << layer.name;
      EXPECT_EQ(ImagesOf(layer), 4) << layer.name;
    } else {
      EXPECT_GT(layer.bytes, 0) << layer.name << " " << layer.op;
      // Every other op of these networks is one the agents time, with the batch carried over.
      ASSERT_TRUE(layer.op_params.has_value()) << layer.name << " " << layer.op << " " << layer.shape;
      EXPECT_TRUE(ValidateOpParams(*layer.op_params, "").ok()) << layer.name;
      EXPECT_EQ(layer.op_params->n(), 4) << layer.name;
      EXPECT_DOUBLE_EQ(WorkOf(*layer.op_params).bytes, layer.bytes) << layer.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Networks, OnnxFixtureTest,
                         ::testing::Values("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "vgg16",
                                           "efficientnet_b0", "densenet121", "squeezenet1_1", "shufflenet_v2_x1_0"));

TEST(OnnxImportTest, ConvTransposeMatMulAndSamePadding) {
  GraphBuilder g;
  g.Input("x", {1, 16, 8, 8}).Weight("wt", {16, 8, 4, 4}).Weight("w", {32, 8, 3, 3}).Weight("m", {32, 10});
  onnx::NodeProto& up = g.Node("ConvTranspose", {"x", "wt"}, "up");  // 8x8 → 16x16
  SetInts(up, "strides", {2, 2});
  SetInts(up, "pads", {1, 1, 1, 1});
  onnx::NodeProto& conv = g.Node("Conv", {"up", "w"}, "y");
  onnx::AttributeProto* auto_pad = conv.add_attribute();
  auto_pad->set_name("auto_pad");
  auto_pad->set_type(onnx::AttributeProto::STRING);
  auto_pad->set_s("SAME_UPPER");
  g.Node("GlobalAveragePool", {"y"}, "pooled");
  g.Node("Flatten", {"pooled"}, "flat");
  g.Node("MatMul", {"flat", "m"}, "logits");
  g.Output("logits");
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(g.Bytes(), {});
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), 4u);  // Flatten is free
  // The transposed conv costs what the conv from its output back to its input costs.
  EXPECT_EQ(FormatConvSpec(*(*layers)[0].conv),
            FormatConvSpec(*ParseConvSpec("n=1,c=8,h=16,w=16,k=16,r=4,s=4,stride=2,pad=1")));
  EXPECT_EQ(FormatConvSpec(*(*layers)[1].conv), FormatConvSpec(*ParseConvSpec("n=1,c=8,h=16,w=16,k=32,r=3,s=3,pad=1")));
  EXPECT_EQ((*layers)[2].op, "GlobalAveragePool");
  EXPECT_EQ((*layers)[2].flops, 32 * 16 * 16);
  EXPECT_EQ(FormatConvSpec(*(*layers)[3].conv), FormatConvSpec(*ParseConvSpec("n=1,c=32,h=1,w=1,k=10,r=1,s=1")));
}

TEST(OnnxImportTest, BadInputGetsAClearErrorNamingTheProblem) {
  auto error = [](const std::string& bytes, const OnnxImportOptions& options = {}) {
    absl::Status status = ImportOnnx(bytes, options).status();
    EXPECT_FALSE(status.ok());
    return std::string(status.message());
  };
  EXPECT_THAT(error(""), HasSubstr("not an ONNX model"));
  EXPECT_THAT(error("name,latency\nconv1,3.5\n"), HasSubstr("not an ONNX model"));
  const std::string resnet = OnnxFixture("resnet18");
  EXPECT_THAT(error(resnet.substr(0, resnet.size() / 2), Batch(1)), HasSubstr("not an ONNX model"));
  // A header that claims a 10 GB graph: refused without allocating it.
  EXPECT_THAT(error(std::string("\x08\x07\x3a\x80\x80\x80\x80\x25", 8)), HasSubstr("not an ONNX model"));
  OnnxImportOptions tiny;
  tiny.max_model_bytes = 1000;
  EXPECT_EQ(ImportOnnx(resnet, tiny).status().code(), absl::StatusCode::kResourceExhausted);
  // A dynamic size other than the batch: the node and the fix are named.
  GraphBuilder open_size;
  open_size.Input("x", {1, 8, -1, -2}).Weight("w", {8, 8, 3, 3}).Output("y");
  open_size.Node("Conv", {"x", "w"}, "y");
  EXPECT_THAT(error(open_size.Bytes()), HasSubstr("does not infer"));
  EXPECT_THAT(error(open_size.Bytes()), HasSubstr("--input"));

  GraphBuilder old_opset;
  old_opset.Opset(6).Input("x", {1, 1, 4, 4});
  old_opset.Node("Relu", {"x"}, "y");
  EXPECT_THAT(error(old_opset.Bytes()), HasSubstr("opset 6 is older than 7"));

  GraphBuilder unknown;
  unknown.Input("x", {1, 1, 4, 4}).Output("y");
  unknown.Node("NonMaxSuppression", {"x", "x"}, "y");
  EXPECT_THAT(error(unknown.Bytes()), HasSubstr("node 'y_node' (NonMaxSuppression)"));

  GraphBuilder cycle;
  cycle.Input("x", {1, 1, 4, 4}).Output("b");
  cycle.Node("Add", {"x", "b"}, "a");
  cycle.Node("Relu", {"a"}, "b");
  EXPECT_THAT(error(cycle.Bytes()), HasSubstr("node 'a_node' (Add): input 'b' is not produced by any earlier node"));

  GraphBuilder huge;
  huge.Input("x", {int64_t{1} << 40, 8}).Weight("w", {8, 4}).Output("y");
  huge.Node("MatMul", {"x", "w"}, "y");
  EXPECT_THAT(error(huge.Bytes()), HasSubstr("node 'y_node' (MatMul): dimensions too large"));

  GraphBuilder mismatch;
  mismatch.Input("x", {1, 3, 8, 8}).Weight("w", {4, 5, 3, 3}).Output("y");
  mismatch.Node("Conv", {"x", "w"}, "y");
  EXPECT_THAT(error(mismatch.Bytes()),
              HasSubstr("node 'y_node' (Conv): filter 4x5x3x3 has 5 input channels per group"));
}

TEST(OnnxImportTest, ParsesShapes) {
  EXPECT_EQ(*ParseShape("1x3x224x224"), (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_FALSE(ParseShape("1x0x2").ok());
  EXPECT_FALSE(ParseShape("abc").ok());
}

// A bounded, deterministic mutation pass over real models (scripts/fuzz.sh runs libFuzzer
// for longer): flipped bytes, cut tails and spliced fragments must give an error or a valid layer
// list, never a crash or a hang.
TEST(OnnxImportTest, SurvivesMutatedModels) {
  std::mt19937 rng(7);
  int rejected = 0, imported = 0;
  for (const char* name : {"resnet18", "squeezenet1_1", "shufflenet_v2_x1_0"}) {
    const std::string original = OnnxFixture(name);
    ASSERT_FALSE(original.empty());
    for (int round = 0; round < 300; ++round) {
      std::string bytes = original;
      std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
      switch (round % 3) {
        case 0:  // flip a few bytes
          for (int i = 0; i < 1 + round % 8; ++i) bytes[position(rng)] ^= static_cast<char>(1 + rng() % 255);
          break;
        case 1:  // cut the tail
          bytes.resize(position(rng));
          break;
        case 2:  // splice a fragment of the model into itself
          bytes.insert(position(rng), original.substr(position(rng), 64));
          break;
      }
      // What the client does to a user's file first: an error or a model, never a crash.
      absl::StatusOr<std::string> stripped = StripOnnxWeights(bytes);
      EXPECT_TRUE(stripped.ok() || !stripped.status().message().empty());
      absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(bytes, Batch(2));
      if (!layers.ok()) {
        ++rejected;
        EXPECT_FALSE(layers.status().message().empty());
        continue;
      }
      ++imported;
      for (const NetworkLayer& layer : *layers) {
        if (layer.conv) {
          EXPECT_TRUE(ValidateConvParams(*layer.conv, "").ok()) << name << " round " << round;
        }
      }
    }
  }
  EXPECT_GT(rejected, 100);
  EXPECT_GT(imported, 0);  // some mutations only touch names or unused fields
}

// Inputs the fuzzer once crashed on (tests/fixtures/onnx/regressions/): an answer either way,
// and under scripts/fuzz.sh's AddressSanitizer, no memory error.
TEST(OnnxImportTest, FuzzerRegressions) {
  const std::filesystem::path dir = std::filesystem::path(CONVLAT_SOURCE_DIR) / "tests/fixtures/onnx/regressions";
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(bytes.str(), Batch(2));
    if (!layers.ok()) {
      EXPECT_FALSE(layers.status().message().empty()) << entry.path();
    }
    ++inputs;
  }
  EXPECT_GT(inputs, 0);
}

}  // namespace
}  // namespace convlat::model
