#include "common/status_bridge.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

TEST(StatusBridgeTest, KeepsTheCodeAndMessageBothWays) {
  const grpc::Status sent = ToGrpcStatus(absl::NotFoundError("platform 't4' is not registered"));
  EXPECT_EQ(sent.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(sent.error_message(), "platform 't4' is not registered");
  const absl::Status received = FromGrpcStatus(sent, "Predict");
  EXPECT_EQ(received.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(received.message(), "Predict: platform 't4' is not registered");
  EXPECT_EQ(FromGrpcStatus(sent).message(), "platform 't4' is not registered");
}

TEST(StatusBridgeTest, EveryCanonicalCodeMapsToTheSameNumber) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code), code == 0 ? "" : "m");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(status).error_code()), code);
    EXPECT_EQ(static_cast<int>(FromGrpcStatus(ToGrpcStatus(status)).code()), code);
  }
}

TEST(StatusBridgeTest, OkIsOkWhateverTheCall) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, "Predict").ok());
}

TEST(StatusBridgeTest, CapsLongMessagesSentToClients) {
  const std::string huge(100000, 'x');
  const grpc::Status sent = ToGrpcStatus(absl::InvalidArgumentError(huge));
  EXPECT_EQ(sent.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_LE(sent.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_THAT(sent.error_message(), EndsWith("... (100000 bytes)"));
  const std::string exact(kMaxStatusMessageBytes, 'y');
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError(exact)).error_message(), exact);
}

TEST(StatusBridgeTest, CutsAtACharacterBoundary) {
  std::string text;
  while (text.size() < 2 * kMaxStatusMessageBytes) text += "\xC3\xA9";  // é, two bytes each
  const std::string sent = ToGrpcStatus(absl::InternalError(text)).error_message();
  const std::string kept = sent.substr(0, sent.find("..."));
  EXPECT_EQ(kept.size() % 2, 0u) << "a two-byte character was cut in half";
  EXPECT_THAT(sent, HasSubstr("bytes)"));
}

}  // namespace
}  // namespace convlat
