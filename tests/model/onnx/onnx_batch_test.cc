// The batch of an imported network: a dynamic batch left open is taken as 1 and said so, a given
// batch re-batches a static export when asked (force_batch), and the batch a graph cannot take is
// an error at the node it breaks.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/onnx/onnx_import.h"
#include "tests/support/onnx_fixture.h"
#include "tests/support/onnx_graph_builder.h"

namespace convlat::model {
namespace {

using ::convlat::testing::GraphBuilder;
using ::convlat::testing::OnnxFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// x (1x8x6x6, or symbolic batch) -> 3x3 conv -> y.
std::string OneConv(int64_t batch) {
  GraphBuilder g;
  g.Input("x", {batch, 8, 6, 6}).Weight("w", {16, 8, 3, 3}).Output("y");
  g.Node("Conv", {"x", "w"}, "y");
  return g.Bytes();
}

TEST(OnnxBatchTest, ADynamicBatchLeftOpenIsTakenAsOneWithANote) {
  // torchvision's export with dynamic_axes, as the fixtures are.
  absl::StatusOr<ImportedNetwork> network = ImportOnnxNetwork(OnnxFixture("resnet50"), {});
  ASSERT_TRUE(network.ok()) << network.status();
  ASSERT_TRUE(network->layers.front().conv.has_value());
  EXPECT_EQ(network->layers.front().conv->n(), 1);
  ASSERT_EQ(network->notes.size(), 1u);
  EXPECT_THAT(network->notes[0], HasSubstr("input 'input' has a dynamic batch dimension"));
  EXPECT_THAT(network->notes[0], HasSubstr("predicted at batch 1; --batch N for another"));

  // Said when it was assumed only.
  network = ImportOnnxNetwork(OnnxFixture("resnet50"), {.batch = 8});
  ASSERT_TRUE(network.ok()) << network.status();
  EXPECT_EQ(network->layers.front().conv->n(), 8);
  EXPECT_THAT(network->notes, IsEmpty());
}

TEST(OnnxBatchTest, AStaticExportKeepsItsBatchUnlessForced) {
  absl::StatusOr<ImportedNetwork> as_exported = ImportOnnxNetwork(OneConv(1), {.batch = 4});
  ASSERT_TRUE(as_exported.ok()) << as_exported.status();
  EXPECT_EQ(as_exported->layers[0].conv->n(), 1);
  EXPECT_THAT(as_exported->notes, IsEmpty());

  absl::StatusOr<ImportedNetwork> rebatched = ImportOnnxNetwork(OneConv(1), {.batch = 4, .force_batch = true});
  ASSERT_TRUE(rebatched.ok()) << rebatched.status();
  EXPECT_EQ(rebatched->layers[0].conv->n(), 4);

  absl::StatusOr<ImportedNetwork> dynamic = ImportOnnxNetwork(OneConv(-1), {});
  ASSERT_TRUE(dynamic.ok()) << dynamic.status();
  EXPECT_EQ(dynamic->layers[0].conv->n(), 1);
  EXPECT_THAT(dynamic->notes, ElementsAre(HasSubstr("input 'x' has a dynamic batch dimension ('dynamic1')")));
}

TEST(OnnxBatchTest, ABatchTooLargeForTheLibrariesIsRefusedAtTheFirstLayer) {
  GraphBuilder g;  // 1x64x64x64: 100000 of them are 2.6e10 elements
  g.Input("x", {1, 64, 64, 64}).Weight("w", {64, 64, 3, 3}).Output("y");
  g.Node("Conv", {"x", "w"}, "y");
  const absl::Status status = ImportOnnxNetwork(g.Bytes(), {.batch = 100000, .force_batch = true}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("node 'y_node' (Conv)"));
  EXPECT_THAT(status.message(), HasSubstr("larger than 2^31 elements"));
}

TEST(OnnxBatchTest, AReshapeTargetFixedAtTheExportBatchIsRefusedAtThatReshape) {
  // ViT's patch flattening, x.reshape(n, 768, 196), exported at batch 1: the target is the constant
  // [1, 768, 196]. ONNX's inference takes it as it stands, so batch 4 would have left every later
  // layer at batch 1 without a word.
  GraphBuilder g;
  g.Input("x", {1, 8, 4, 4}).Ints("target", {1, 8, 16}).Output("y");
  g.Node("Reshape", {"x", "target"}, "flat");
  g.Node("Transpose", {"flat"}, "y");
  ASSERT_TRUE(ImportOnnxNetwork(g.Bytes(), {}).ok());
  const absl::Status status = ImportOnnxNetwork(g.Bytes(), {.batch = 4, .force_batch = true}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("node 'flat_node' (Reshape): reshapes 4x8x4x4 (512 elements) into "
                                          "1x8x16 (128 elements)"));

  // The torchvision export itself.
  const absl::Status vit = ImportOnnxNetwork(OnnxFixture("vit_b_16"), {.batch = 2, .force_batch = true}).status();
  EXPECT_THAT(vit.message(), HasSubstr("node '/Reshape' (Reshape): reshapes 2x768x14x14"));
}

TEST(OnnxBatchTest, BatchedMatrixProductsAreCheckedAsTheGroupsTheyAre) {
  // Attention scores of ViT-B/16 at batch 64: 768 heads of 197x64 by 64x197. As one dense filter
  // the product would be past 2^31 elements; its 768 blocks hold 9.7 million.
  GraphBuilder g;
  g.Input("q", {768, 197, 64}).Input("k", {768, 64, 197}).Output("scores");
  g.Node("MatMul", {"q", "k"}, "scores");
  absl::StatusOr<ImportedNetwork> network = ImportOnnxNetwork(g.Bytes(), {});
  ASSERT_TRUE(network.ok()) << network.status();
  ASSERT_TRUE(network->layers[0].conv.has_value());
  EXPECT_EQ(network->layers[0].conv->groups(), 768);
  EXPECT_EQ(network->layers[0].conv->k(), 768 * 197);
}

}  // namespace
}  // namespace convlat::model
