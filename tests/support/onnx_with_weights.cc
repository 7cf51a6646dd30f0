#include "tests/support/onnx_with_weights.h"

#include <gtest/gtest.h>

#include "onnx/onnx_pb.h"
#include "tests/support/onnx_fixture.h"

namespace convlat::testing {

std::string FixtureWithWeights(const std::string& name) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(OnnxFixture(name))) << "tests/fixtures/onnx/" << name << ".onnx";
  for (onnx::TensorProto& tensor : *model.mutable_graph()->mutable_initializer()) {
    if (tensor.data_type() != onnx::TensorProto::FLOAT || !tensor.raw_data().empty()) continue;
    size_t elements = 1;
    for (int64_t d : tensor.dims()) elements *= static_cast<size_t>(d);
    tensor.set_raw_data(std::string(elements * sizeof(float), '\0'));
  }
  return model.SerializeAsString();
}

}  // namespace convlat::testing
