// Small graphs for what the vision fixtures exercise only in bulk: Einsum as a batched matrix
// product (or a clear refusal), and the error for a shape computed by an op convlat does not evaluate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/onnx/onnx_import.h"
#include "onnx/onnx_pb.h"
#include "tests/support/onnx_graph_builder.h"

namespace convlat::model {
namespace {

using ::convlat::testing::GraphBuilder;
using ::testing::HasSubstr;
using ::testing::Not;

void SetEquation(onnx::NodeProto& node, const std::string& equation) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name("equation");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(equation);
}

TEST(OnnxAttentionOpsTest, EinsumMatrixProductIsABatchedGemm) {
  GraphBuilder g;
  g.Input("q", {4, 49, 32}).Input("k", {4, 32, 49});
  SetEquation(g.Node("Einsum", {"q", "k"}, "scores"), "bij,bjk->bik");
  g.Output("scores");
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(g.Bytes(), OnnxImportOptions{});
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), 1u);
  ASSERT_TRUE(layers->front().conv.has_value());
  // 4 GEMMs of 49x32 by 32x49: 49 rows (pixels), 4x32 channels in 4 groups, 4x49 filters.
  EXPECT_EQ(FormatConvSpec(*layers->front().conv), "n=1,c=128,h=49,w=1,k=196,r=1,s=1,groups=4");
}

TEST(OnnxAttentionOpsTest, EinsumThatIsNoMatrixProductIsRefusedByEquation) {
  GraphBuilder g;
  g.Input("a", {8, 8}).Input("b", {8, 8});
  SetEquation(g.Node("Einsum", {"a", "b"}, "c"), "ij,jk->i");
  g.Output("c");
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(g.Bytes(), OnnxImportOptions{});
  ASSERT_FALSE(layers.ok());
  EXPECT_THAT(std::string(layers.status().message()),
              HasSubstr("Einsum 'ij,jk->i' is not a matrix product convlat maps ('k' is summed in one operand)"));
}

TEST(OnnxAttentionOpsTest, ShapeFromAnOpConvlatDoesNotEvaluateNamesThatOp) {
  // Expand's target comes through NonZero, whose output size depends on the data: the error names
  // NonZero (the first node whose shape is unknown) and why no flag can fix it.
  GraphBuilder g;
  g.Input("x", {1, 8}).Ints("mask", {1, 0, 1});
  g.Node("NonZero", {"mask"}, "nz");
  g.Node("Shape", {"nz"}, "nz_shape");
  g.Node("Expand", {"x", "nz_shape"}, "y");
  g.Node("Relu", {"y"}, "z");
  g.Output("z");
  absl::StatusOr<std::vector<NetworkLayer>> layers = ImportOnnx(g.Bytes(), OnnxImportOptions{});
  ASSERT_FALSE(layers.ok());
  const std::string message(layers.status().message());
  EXPECT_THAT(message, HasSubstr("node 'nz_node' (NonZero): the shape of 'nz' does not infer (1x?): its output's "
                                 "size depends on the values of its input, not on shapes; convlat cannot predict "
                                 "such a network"));
  EXPECT_THAT(message, Not(HasSubstr("--input")));  // no input shape would fix it
}

}  // namespace
}  // namespace convlat::model
