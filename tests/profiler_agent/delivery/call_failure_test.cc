#include "profiler_agent/delivery/call_failure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CallFailureTest, ARefusedTokenIsNotAnUnreachableServer) {
  for (const absl::Status& refused :
       {absl::UnauthenticatedError("the agent token does not match"), absl::PermissionDeniedError("agents only")}) {
    EXPECT_EQ(ClassifyCallFailure(refused), CallFailure::kTokenRefused);
    EXPECT_TRUE(IsTokenRefused(refused));
    const std::string text = DescribeCallFailure(refused, "box:50051");
    EXPECT_THAT(text, HasSubstr("the server at box:50051 refused this agent's token"));
    EXPECT_THAT(text, HasSubstr("check --token_file against the server's --agent_token_file"));
    EXPECT_THAT(text, HasSubstr(std::string(refused.message())));
    EXPECT_THAT(text, Not(HasSubstr("unreachable")));
    EXPECT_EQ(CallFailureLogLevel(refused), spdlog::level::err);
  }
  EXPECT_THAT(DescribeCallFailure(absl::UnauthenticatedError("no"), ""),
              HasSubstr("the server refused this agent's token (UNAUTHENTICATED: no)"));
}

TEST(CallFailureTest, NoAnswerInTimeIsUnreachable) {
  for (const absl::Status& away :
       {absl::UnavailableError("failed to connect"), absl::DeadlineExceededError("Deadline Exceeded")}) {
    EXPECT_EQ(ClassifyCallFailure(away), CallFailure::kUnreachable);
    EXPECT_FALSE(IsTokenRefused(away));
    const std::string text = DescribeCallFailure(away, "box:50051");
    EXPECT_THAT(text, HasSubstr("server at box:50051 unreachable ("));
    EXPECT_THAT(text, Not(HasSubstr("token")));
    EXPECT_EQ(CallFailureLogLevel(away), spdlog::level::warn);
  }
}

TEST(CallFailureTest, OtherErrorsAreQuotedAsTheyCame) {
  const absl::Status full = absl::ResourceExhaustedError("store: disk full");
  EXPECT_EQ(ClassifyCallFailure(full), CallFailure::kOther);
  EXPECT_FALSE(IsTokenRefused(full));
  EXPECT_FALSE(IsTokenRefused(absl::OkStatus()));
  EXPECT_EQ(DescribeCallFailure(full, "box:50051"),
            "talking to the server at box:50051 failed (RESOURCE_EXHAUSTED: store: disk full)");
}

}  // namespace
}  // namespace convlat::agent
