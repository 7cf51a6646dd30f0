// convlat-client query reads a network's file without its weights: what it sends, and the errors
// that name the file.
#include "client/onnx_upload.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/onnx/weight_stripping.h"
#include "tests/support/onnx_with_weights.h"

namespace convlat::client {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, absl::string_view bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(OnnxUploadTest, SendsTheGraphWithoutItsWeights) {
  const std::string with_weights = convlat::testing::FixtureWithWeights("resnet18");
  absl::StatusOr<std::string> sent = ReadOnnxForQuery(WriteFile("resnet18.onnx", with_weights));
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(*sent, model::StripOnnxWeights(with_weights).value());
  EXPECT_LT(sent->size(), with_weights.size() / 100);
}

// Cut inside its weights, a file still walks to its end (the weights are seeked over); the sizes
// its fields claim give it away.
TEST(OnnxUploadTest, ATruncatedFileIsNamed) {
  const std::string with_weights = convlat::testing::FixtureWithWeights("resnet18");
  const std::string path = WriteFile("cut.onnx", absl::string_view(with_weights).substr(0, with_weights.size() / 2));
  const absl::Status status = ReadOnnxForQuery(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(path + ": truncated: its fields claim "));
}

TEST(OnnxUploadTest, AMissingOrForeignFileIsNamed) {
  const absl::Status missing = ReadOnnxForQuery("/nonexistent/net.onnx").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("cannot read /nonexistent/net.onnx: No such file or directory"));
  const std::string csv = WriteFile("sweep.csv", "n,c,h,w\n1,3,224,224\n");
  const absl::Status foreign = ReadOnnxForQuery(csv).status();
  EXPECT_EQ(foreign.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(foreign.message(), HasSubstr(csv + ": not an ONNX model"));
}

}  // namespace
}  // namespace convlat::client
