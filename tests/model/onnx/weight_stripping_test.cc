// The weights leave an ONNX network as it streams past; everything the importer reads stays.
#include "model/onnx/weight_stripping.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/onnx/onnx_import.h"
#include "onnx/onnx_pb.h"
#include "tests/support/onnx_fixture.h"
#include "tests/support/onnx_with_weights.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

onnx::ModelProto Parse(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  return model;
}

TEST(WeightStrippingTest, FloatWeightsGoShapesAndIntegersStay) {
  const std::string with_weights = convlat::testing::FixtureWithWeights("resnet50");
  absl::StatusOr<std::string> stripped = StripOnnxWeights(with_weights);
  ASSERT_TRUE(stripped.ok()) << stripped.status();
  EXPECT_LT(stripped->size(), with_weights.size() / 100);

  const onnx::ModelProto before = Parse(with_weights), after = Parse(*stripped);
  ASSERT_EQ(after.graph().initializer_size(), before.graph().initializer_size());
  int integer_tensors = 0;
  for (int i = 0; i < before.graph().initializer_size(); ++i) {
    const onnx::TensorProto &was = before.graph().initializer(i), &is = after.graph().initializer(i);
    EXPECT_EQ(is.name(), was.name());
    EXPECT_EQ(is.data_type(), was.data_type());
    EXPECT_THAT(is.dims(), ::testing::ElementsAreArray(was.dims()));
    if (was.data_type() == onnx::TensorProto::FLOAT) {
      EXPECT_TRUE(is.raw_data().empty() && is.float_data().empty()) << is.name();
    } else {
      ++integer_tensors;
      EXPECT_EQ(is.raw_data(), was.raw_data()) << is.name();
      EXPECT_THAT(is.int64_data(), ::testing::ElementsAreArray(was.int64_data())) << is.name();
    }
  }
  EXPECT_EQ(after.graph().node_size(), before.graph().node_size());
  EXPECT_EQ(after.opset_import_size(), before.opset_import_size());
  EXPECT_EQ(after.ir_version(), before.ir_version());

  // The importer sees the same network.
  absl::StatusOr<std::vector<NetworkLayer>> from_original = ImportOnnx(convlat::testing::OnnxFixture("resnet50"), {});
  absl::StatusOr<std::vector<NetworkLayer>> from_stripped = ImportOnnx(*stripped, {});
  ASSERT_TRUE(from_original.ok() && from_stripped.ok());
  EXPECT_EQ(from_stripped->size(), from_original->size());
}

std::string WriteFile(const std::string& name, absl::string_view bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// What convlat-client query and convlat-agent network do: the file streams through, and comes out
// as the in-memory strip does.
TEST(WeightStrippingTest, AFileStreamsToTheSameBytes) {
  const std::string with_weights = convlat::testing::FixtureWithWeights("mobilenet_v2");
  absl::StatusOr<std::string> streamed = ReadOnnxFileWithoutWeights(WriteFile("mobilenet_v2.onnx", with_weights));
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_EQ(*streamed, StripOnnxWeights(with_weights).value());
}

// Cut inside its weights, a file still walks to its end (the weights are seeked over); the sizes
// its fields claim give it away.
TEST(WeightStrippingTest, ATruncatedFileIsNamed) {
  const std::string with_weights = convlat::testing::FixtureWithWeights("resnet18");
  const std::string path = WriteFile("cut.onnx", absl::string_view(with_weights).substr(0, with_weights.size() / 2));
  const absl::Status status = ReadOnnxFileWithoutWeights(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(path + ": truncated: its fields claim "));
}

TEST(WeightStrippingTest, AMissingOrForeignFileIsNamed) {
  const absl::Status missing = ReadOnnxFileWithoutWeights("/nonexistent/net.onnx").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("cannot read /nonexistent/net.onnx: No such file or directory"));
  const std::string csv = WriteFile("sweep.csv", "n,c,h,w\n1,3,224,224\n");
  const absl::Status foreign = ReadOnnxFileWithoutWeights(csv).status();
  EXPECT_EQ(foreign.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(foreign.message(), HasSubstr(csv + ": not an ONNX model"));
}

// Exporters write a tensor's data_type before its data; data met before it is kept, as it may be
// an integer shape's. The two orders, written out on the wire (ModelProto.ir_version 8, its graph
// holding one initializer 'w': raw_data "abcdefgh" and data_type FLOAT).
TEST(WeightStrippingTest, DataBeforeItsTypeIsKept) {
  auto model_with = [](const std::string& tensor) {
    const std::string graph = "\x2a" + std::string(1, static_cast<char>(tensor.size())) + tensor;
    return std::string("\x08\x08\x3a", 3) + std::string(1, static_cast<char>(graph.size())) + graph;
  };
  const std::string name = "\x42\x01w",
                    data =
                        "\x4a\x08"
                        "abcdefgh",
                    type = std::string("\x10\x01", 2);
  for (const auto& [tensor, kept] : {std::pair{name + type + data, false}, std::pair{name + data + type, true}}) {
    absl::StatusOr<std::string> stripped = StripOnnxWeights(model_with(tensor));
    ASSERT_TRUE(stripped.ok()) << stripped.status();
    const onnx::ModelProto model = Parse(*stripped);
    ASSERT_EQ(model.graph().initializer_size(), 1);
    const onnx::TensorProto& w = model.graph().initializer(0);
    EXPECT_EQ(w.name(), "w");
    EXPECT_EQ(w.data_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(w.raw_data(), kept ? "abcdefgh" : "");
  }
}

TEST(WeightStrippingTest, WhatIsNotOnnxIsRefused) {
  for (const std::string& bytes : {std::string(), std::string("not a protobuf \xff\xff\xff", 18)}) {
    const absl::Status status = StripOnnxWeights(bytes).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("not an ONNX model"));
  }
  const std::string with_weights = convlat::testing::FixtureWithWeights("mobilenet_v2");
  const absl::Status truncated =
      StripOnnxWeights(absl::string_view(with_weights).substr(0, with_weights.size() / 2)).status();
  EXPECT_EQ(truncated.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convlat::model
