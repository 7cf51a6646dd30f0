// An ONNX model sent with its weights: over the real channel, the server answers
// RESOURCE_EXHAUSTED naming the field and how to strip the weights, rather than gRPC's bare
// "larger than max"; the same model stripped (what convlat-client sends) is well under the cap.
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convlat/v1/latency.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "model/onnx/weight_stripping.h"
#include "server/request_validation.h"
#include "tests/server/in_process_server.h"
#include "tests/support/onnx_with_weights.h"

namespace convlat::server {
namespace {

using ::testing::HasSubstr;

class MessageSizeTest : public InProcessServerTest {
 protected:
  grpc::Status Query(const std::string& onnx) const {
    v1::PredictNetworkRequest request;
    request.set_platform("box");
    request.set_batch(1);
    request.set_onnx_model(onnx);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::PredictNetworkResponse response;
    auto channel = grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials());
    return v1::LatencyService::NewStub(channel)->PredictNetwork(&context, request, &response);
  }
};

TEST_F(MessageSizeTest, AModelWithItsWeightsIsToldToStripThem) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  const std::string with_weights = convlat::testing::FixtureWithWeights("resnet50");
  ASSERT_GT(static_cast<int64_t>(with_weights.size()), kMaxOnnxModelBytes);  // ResNet-50: ~100 MB of weights
  const grpc::Status refused = Query(with_weights);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("onnx_model: "));
  EXPECT_THAT(refused.error_message(), HasSubstr("over the limit of 67108864 bytes"));
  EXPECT_THAT(refused.error_message(), HasSubstr("convlat-client query strips them"));
  EXPECT_THAT(refused.error_message(), HasSubstr("save_as_external_data=True"));

  absl::StatusOr<std::string> stripped = model::StripOnnxWeights(with_weights);
  ASSERT_TRUE(stripped.ok()) << stripped.status();
  EXPECT_LT(stripped->size(), size_t{1} << 20);
  // Past the size check: the platform is what is missing now.
  EXPECT_EQ(Query(*stripped).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace convlat::server
